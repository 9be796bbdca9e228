import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Kernel } from '@plexus/kernel'
import flood, { BIG_BYTES, CHUNK_BYTES } from './fixtures/flood.js'
import { eventually, fixture, isolatedKernel, sleep, heapAfterGc } from './helpers.js'

// RELIABILITY.md T16, scaled: a producer in a worker or a child yields 64 KiB chunks as fast
// as it can while the kernel-side consumer reads slowly, then consumers abort halfway.
const MiB = 1024 * 1024

interface Progress {
  produced: number
  closed: number
}

for (const placement of ['worker', 'process'] as const) {
  describe(`stream backpressure over the ${placement} link (T16, scaled)`, () => {
    let kernel: Kernel<any>
    const progress = () => kernel.call('flood.progress') as Promise<Progress>
    before(async () => {
      kernel = isolatedKernel()
      kernel.add(flood, { placement, module: fixture('flood') })
      await kernel.start()
    })
    after(() => kernel.stop())

    it('keeps at most 4 MiB produced but unread while a slow consumer reads 8 MiB', async () => {
      const start = (await progress()).produced
      let read = 0
      let worst = 0
      for await (const chunk of kernel.stream('flood.chunks', { limit: 128 })) {
        assert.equal((chunk as string).length, CHUNK_BYTES)
        read++
        await sleep(4) // ~16 MiB/s: far slower than the producer
        if (read % 8 === 0) {
          const ahead = ((await progress()).produced - start - read) * CHUNK_BYTES
          worst = Math.max(worst, ahead)
        }
      }
      assert.equal(read, 128)
      assert.ok(worst <= 4 * MiB, `the producer ran ${worst} bytes ahead of the consumer`)
      assert.ok(worst > 0, 'the producer was never measured ahead: the test would not see a flood')
    })

    it('keeps at most 4 MiB produced but unread with 1 MiB items, where the item credit alone would allow 16 MiB', async () => {
      const start = (await progress()).produced
      let read = 0
      let worst = 0
      for await (const chunk of kernel.stream('flood.chunks', { limit: 24, big: true })) {
        assert.equal((chunk as string).length, BIG_BYTES)
        read++
        await sleep(10)
        const ahead = ((await progress()).produced - start - read) * BIG_BYTES
        worst = Math.max(worst, ahead)
      }
      assert.equal(read, 24)
      assert.ok(worst <= 4 * MiB, `the producer ran ${worst / MiB} MiB ahead of the consumer`)
      assert.ok(worst > 0, 'the producer was never measured ahead: the test would not see a flood')
    })

    it("calls the producer's return() when the consumer aborts halfway, and closes the stream", async () => {
      const before = await progress()
      const controller = new AbortController()
      let read = 0
      await assert.rejects(async () => {
        for await (const _ of kernel.stream('flood.chunks', undefined, {
          signal: controller.signal,
        })) {
          if (++read === 20) controller.abort()
        }
      })
      for await (const _ of kernel.stream('flood.chunks')) if (++read === 40) break
      assert.ok(await eventually(async () => (await progress()).closed === before.closed + 2))
      assert.ok(await eventually(() => kernel.openStreams === 0))
    })

    it('leaves the kernel heap within +5 MB after 300 streams aborted after a few chunks', async () => {
      const run = async (n: number) => {
        for (let i = 0; i < n; i++) {
          let read = 0
          for await (const _ of kernel.stream('flood.chunks')) if (++read === 3) break
        }
      }
      await run(30) // warm: code paths compiled, pools allocated
      assert.ok(await eventually(() => kernel.openStreams === 0))
      const baseline = heapAfterGc()
      const closedBefore = (await progress()).closed
      await run(300)
      assert.ok(await eventually(async () => (await progress()).closed === closedBefore + 300))
      assert.equal(kernel.openStreams, 0)
      assert.equal(kernel.pendingCalls, 0)
      const growth = heapAfterGc() - baseline
      assert.ok(growth < 5 * MiB, `heap grew by ${(growth / MiB).toFixed(2)} MB`)
    })
  })
}
