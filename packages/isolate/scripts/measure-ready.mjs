// How long a built (JavaScript) isolated service takes to be ready: `node scripts/measure-ready.mjs`
// after `npm run build` (uses the packages' dist). One fresh kernel per sample.
import { createKernel, silentLogger } from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import math from './add-service.mjs'

const module = new URL('./add-service.mjs', import.meta.url).href
for (const placement of ['worker', 'process']) {
  const samples = []
  for (let i = 0; i < 5; i++) {
    const kernel = installIsolation(createKernel({ logger: silentLogger }))
    kernel.add(math, { placement, module })
    const t0 = performance.now()
    await kernel.start()
    await kernel.call('math.add', { a: 1, b: 2 })
    samples.push(performance.now() - t0)
    await kernel.stop()
  }
  samples.sort((a, b) => a - b)
  console.log(
    `${placement} ready + first call: median ${samples[2].toFixed(0)} ms (${samples.map((s) => s.toFixed(0)).join(', ')})`,
  )
}
