import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, type Kernel } from '@plexus/kernel'
import { deferred, quietKernel, rejectionOf, sleep } from './helpers.js'

describe('streams and channels', () => {
  it('yields a request-stream to the consumer in order', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'math',
        streams: {
          count: async function* (_ctx, { n }: { n: number }) {
            for (let i = 0; i < n; i++) yield i
          },
        },
      }),
    )
    await kernel.start()
    const items: number[] = []
    for await (const n of kernel.stream('math.count', { n: 5 })) items.push(n)
    assert.deepEqual(items, [0, 1, 2, 3, 4])
    assert.equal(kernel.openStreams, 0)
    assert.equal(kernel.services()[0]!.instances[0]!.inFlight, 0)
    await kernel.stop()
  })

  it('lets the consumer pull: the producer never runs more than one item ahead', async () => {
    let produced = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'firehose',
        streams: {
          items: async function* () {
            for (;;) {
              produced++
              yield produced
            }
          },
        },
      }),
    )
    await kernel.start()
    const iterator = kernel.stream('firehose.items')
    let consumed = 0
    for await (const _ of iterator) {
      consumed++
      await sleep(1)
      assert.ok(produced <= consumed + 1, `produced ${produced} for ${consumed} consumed`)
      if (consumed === 20) break
    }
    await sleep(5)
    assert.ok(produced <= 21)
    await kernel.stop()
  })

  it("calls the producer's return() when the consumer breaks out of the loop", async () => {
    let cleanedUp = false
    let signalAborted = false
    const kernel = quietKernel().add(
      defineService({
        name: 's',
        streams: {
          ticks: async function* (ctx) {
            try {
              for (let i = 0; ; i++) yield i
            } finally {
              cleanedUp = true
              signalAborted = ctx.signal.aborted
            }
          },
        },
      }),
    )
    await kernel.start()
    for await (const i of kernel.stream('s.ticks')) if (i === 3) break
    await sleep(1)
    assert.equal(cleanedUp, true)
    assert.equal(signalAborted, true)
    assert.equal(kernel.openStreams, 0)
    assert.equal(kernel.services()[0]!.instances[0]!.inFlight, 0)
    await kernel.stop()
  })

  it('ends a stream with CANCELLED when the consumer aborts while waiting, and closes the producer', async () => {
    const closed = deferred()
    const kernel = quietKernel().add(
      defineService({
        name: 's',
        streams: {
          slow: async function* (ctx) {
            try {
              yield 1
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
              yield 2
            } finally {
              closed.resolve()
            }
          },
        },
      }),
    )
    await kernel.start()
    const controller = new AbortController()
    const iterator = kernel.stream('s.slow', undefined, { signal: controller.signal })
    assert.deepEqual(await iterator.next(), { done: false, value: 1 })
    const waiting = iterator.next()
    controller.abort()
    const error = await rejectionOf(waiting)
    assert.equal(error.code, 'CANCELLED')
    await closed.promise
    assert.equal(kernel.openStreams, 0)
    await kernel.stop()
  })

  it('delivers a producer error to the consumer as a typed error', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 's',
        streams: {
          broken: async function* () {
            yield 1
            throw new Error('disk on fire')
          },
        },
      }),
    )
    await kernel.start()
    const got: number[] = []
    const error = await rejectionOf(
      (async () => {
        for await (const n of kernel.stream('s.broken')) got.push(n)
      })(),
    )
    assert.deepEqual(got, [1])
    assert.equal(error.code, 'HANDLER')
    assert.equal(error.message, 'disk on fire')
    const missing = await rejectionOf((kernel as Kernel<any>).stream('s.nope').next())
    assert.equal(missing.code, 'NOT_FOUND')
    await kernel.stop()
  })

  it('runs a channel: the handler consumes the caller input and produces answers with backpressure', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'echo',
        channels: {
          upper: async function* (_ctx, input: AsyncIterable<string>) {
            for await (const word of input) yield word.toUpperCase()
          },
        },
      }),
    )
    await kernel.start()
    let pulled = 0
    async function* words() {
      for (const w of ['a', 'b', 'c']) {
        pulled++
        yield w
      }
    }
    const out: string[] = []
    for await (const w of kernel.channel<string, string>('echo.upper', words())) {
      out.push(w)
      assert.equal(pulled, out.length, 'input pulled only as answers are consumed')
    }
    assert.deepEqual(out, ['A', 'B', 'C'])
    await kernel.stop()
  })

  it('opens streams from inside a handler with ctx.stream', async () => {
    const kernel = quietKernel()
      .add(
        defineService({
          name: 'src',
          streams: {
            nums: async function* () {
              yield 1
              yield 2
              yield 3
            },
          },
        }),
      )
      .add(
        defineService({
          name: 'sum',
          actions: {
            total: async (ctx) => {
              let total = 0
              for await (const n of ctx.stream<number>('src.nums')) total += n
              return total
            },
          },
        }),
      )
    await kernel.start()
    assert.equal(await kernel.call('sum.total'), 6)
    await kernel.stop()
  })
})
