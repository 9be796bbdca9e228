/** Request-stream throughput: 100 items of 1 KiB per stream, items/s and MB/s. */
import { Readable } from 'node:stream'
import { defineScenario } from '../scenario.js'
import { STREAM_CHUNK, STREAM_ITEMS, chunks, drain } from '../fixtures/payload.js'
import { startBroker } from '../fixtures/moleculer.js'
import { kernelModule } from '../fixtures/plexus.js'

const shape = { itemsPerOp: STREAM_ITEMS, bytesPerOp: STREAM_ITEMS * STREAM_CHUNK.length }
const request = { n: STREAM_ITEMS }

export default defineScenario({
  kind: 'requests',
  name: 'stream',
  title: 'stream, 100 × 1 KiB items',
  requests: 20_000,
  notes:
    'rps counts items; p50/p99 are for a whole 100-item stream. Moleculer: an action returning `Readable.from(generator)` (its stream idiom), read with `for await`. Floor: a bare async generator.',
  impls: {
    floor: async () => ({ ...shape, op: () => drain(chunks(STREAM_ITEMS)) }),
    moleculer: async () => {
      const broker = await startBroker({}, [
        {
          name: 'files',
          actions: {
            read: (ctx: { params: { n: number } }) => Readable.from(chunks(ctx.params.n)),
          },
        },
      ])
      return {
        ...shape,
        op: async () => drain(await broker.call<Readable, { n: number }>('files.read', request)),
        close: () => broker.stop(),
      }
    },
    plexus: async () => {
      const { createKernel, defineService } = await kernelModule()
      const kernel = createKernel()
      kernel.add(
        defineService({
          name: 'files',
          version: 1,
          streams: { read: (_ctx, { n }: { n: number }) => chunks(n) },
        }),
      )
      await kernel.start()
      return {
        ...shape,
        op: () => drain(kernel.stream('files.read', request) as AsyncIterable<Buffer>),
        close: () => kernel.stop(),
      }
    },
  },
})
