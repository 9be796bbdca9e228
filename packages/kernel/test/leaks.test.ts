import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { defineService } from '@plexus/kernel'
import { quietKernel } from './helpers.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

describe('leaks (T17, scaled)', () => {
  it('returns to its starting heap (+2 MB) after 200k calls, 100k emits, 2k streams and 500 add/remove cycles', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'math',
        actions: {
          add: (_ctx, { a, b }: { a: number; b: number }) => a + b,
          later: async (_ctx, n: number) => n,
        },
        events: { 'ticks.*': () => {} },
        streams: {
          count: async function* (_ctx, n: number) {
            for (let i = 0; i < n; i++) yield i
          },
        },
      }),
    )
    await kernel.start()
    const round = async () => {
      for (let i = 0; i < 50_000; i++) await kernel.call('math.add', { a: i, b: 1 })
      for (let i = 0; i < 50_000; i++) await kernel.call('math.later', i)
      for (let i = 0; i < 50_000; i++) kernel.emit('ticks.one', i)
      for (let i = 0; i < 1000; i++) {
        for await (const n of kernel.stream('math.count', 5)) if (n === 2) break
      }
      for (let i = 0; i < 250; i++) {
        kernel.add(defineService({ name: `temp${i}`, actions: { a: () => i } }))
        await kernel.call(`temp${i}.a` as 'math.add', { a: 0, b: 0 })
        await kernel.remove(`temp${i}`)
      }
    }
    await round() // warm-up: caches, JIT
    const before = heapAfterGc()
    await round()
    await round()
    const after = heapAfterGc()
    assert.equal(kernel.pendingCalls, 0)
    assert.equal(kernel.openStreams, 0)
    const growth = (after - before) / 1024 / 1024
    assert.ok(growth < 2, `heap grew ${growth.toFixed(2)} MB`)
    await kernel.stop()
  })
})
