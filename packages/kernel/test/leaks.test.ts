import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { defineService } from '@plexus/kernel'
import { quietKernel, reportGates, scale } from './helpers.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

// Per measured round (two of them, after a warm-up): full scale is RELIABILITY.md's 1M calls,
// 1M emits, 10k streams and 1k register/unregister cycles in all.
const CALLS = scale({ small: 50_000, full: 250_000 }) // of each of two actions
const EMITS = scale({ small: 50_000, full: 500_000 })
const STREAMS = scale({ small: 1000, full: 5000 })
const CYCLES = scale({ small: 250, full: 500 })
const k = (n: number) => `${n / 1000}k`

describe('leaks (T17, scaled)', () => {
  it(`returns to its starting heap (+2 MB) after ${k(4 * CALLS)} calls, ${k(2 * EMITS)} emits, ${k(2 * STREAMS)} streams and ${2 * CYCLES} add/remove cycles`, async () => {
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
      for (let i = 0; i < CALLS; i++) await kernel.call('math.add', { a: i, b: 1 })
      for (let i = 0; i < CALLS; i++) await kernel.call('math.later', i)
      for (let i = 0; i < EMITS; i++) kernel.emit('ticks.one', i)
      for (let i = 0; i < STREAMS; i++) {
        for await (const n of kernel.stream('math.count', 5)) if (n === 2) break
      }
      for (let i = 0; i < CYCLES; i++) {
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
    const growth = (after - before) / 1024 / 1024
    reportGates(
      'T17 kernel',
      `${k(4 * CALLS)} calls, ${k(2 * EMITS)} emits, ${k(2 * STREAMS)} streams, ${2 * CYCLES} cycles`,
      {
        heapGrowthMB: Number(growth.toFixed(2)),
        pendingCalls: kernel.pendingCalls,
        openStreams: kernel.openStreams,
      },
    )
    assert.equal(kernel.pendingCalls, 0)
    assert.equal(kernel.openStreams, 0)
    assert.ok(growth < 2, `heap grew ${growth.toFixed(2)} MB`)
    await kernel.stop()
  })
})
