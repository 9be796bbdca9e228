import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, silentLogger } from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import echo from './fixtures/echo.js'

const module = new URL('./fixtures/echo.ts', import.meta.url).href

describe('smoke', () => {
  for (const placement of ['worker', 'process']) {
    it(`calls through ${placement}`, async () => {
      const kernel = installIsolation(createKernel({ logger: silentLogger }))
      kernel.add(echo, { placement, module })
      const t0 = performance.now()
      await kernel.start()
      console.log(placement, 'ready in', performance.now() - t0)
      assert.equal(await kernel.call('echo.add', { a: 1, b: 2 }), 3)
      const t1 = performance.now()
      for (let i = 0; i < 1000; i++) await kernel.call('echo.add', { a: 1, b: 2 })
      console.log(placement, 'c1 per call us', ((performance.now() - t1) / 1000) * 1000)
      await kernel.stop()
    })
  }
})
