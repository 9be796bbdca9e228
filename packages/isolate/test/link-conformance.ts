import assert from 'node:assert/strict'
import { after, before, describe, it as test } from 'node:test'
import type { Kernel } from '@plexus/kernel'
import { eventually, otherService, rejectionOf, sleep } from './helpers.js'

/** How a conformance run gets a kernel whose `echo` service runs on the link under test. */
export interface ConformanceSetup {
  /** A running kernel with `other` (given) and `echo` (on the link) registered. */
  start(other: ReturnType<typeof otherService>): Promise<Kernel<any>>
  /** Stops what `start` started. */
  stop(kernel: Kernel<any>): Promise<void>
  /** Cases that cannot hold on this link, each with the reason. */
  skip?: Readonly<Record<string, string>>
}

/**
 * The link conformance suite: the same behaviour over every link — callers cannot tell the
 * placement except by speed. Each placement runs it (`placement` is what status reports).
 */
export function linkConformance(placement: string, setup: ConformanceSetup): void {
  describe(`link conformance: ${placement}`, () => {
    let kernel: Kernel<any>
    const received: any[] = []
    before(async () => {
      kernel = await setup.start(otherService(received))
    })
    after(async () => {
      await setup.stop(kernel)
    })
    const it = (name: string, fn: () => Promise<void>): void => {
      const reason = setup.skip?.[name]
      void (reason !== undefined ? test.skip(`${name} (${reason})`, fn) : test(name, fn))
    }

    it('answers a request with the handler value, undefined included', async () => {
      assert.equal(await kernel.call('echo.add', { a: 2, b: 3 }), 5)
      assert.equal(await kernel.call('echo.nothing'), undefined)
    })

    it('serves 200 concurrent calls, each with its own answer', async () => {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => kernel.call('echo.add', { a: i, b: 1 })),
      )
      assert.deepEqual(
        answers,
        Array.from({ length: 200 }, (_, i) => i + 1),
      )
    })

    it('rebuilds a PlexusError intact (code, message, data) and types a plain throw as HANDLER', async () => {
      const forbidden = await rejectionOf(kernel.call('echo.fail'))
      assert.equal(forbidden.code, 'FORBIDDEN')
      assert.equal(forbidden.message, 'not you')
      assert.deepEqual(forbidden.data, { who: 'x' })
      const plain = await rejectionOf(kernel.call('echo.boom'))
      assert.equal(plain.code, 'HANDLER')
      assert.match(plain.message, /plain error/)
    })

    it('answers NOT_FOUND for an action the service does not have', async () => {
      const error = await rejectionOf(kernel.call('echo.nope'))
      assert.equal(error.code, 'NOT_FOUND')
    })

    it('ends a call past its deadline with TIMEOUT and aborts the handler signal', async () => {
      const before = (await kernel.call('echo.abortedSeen')) as number
      const error = await rejectionOf(kernel.call('echo.watch', undefined, { deadline: 100 }))
      assert.equal(error.code, 'TIMEOUT')
      assert.ok(
        await eventually(async () => (await kernel.call('echo.abortedSeen')) === before + 1),
      )
    })

    it('lets a handler pass its own long-lived signal or CancelSource to many calls: each still cancels, and none leaves a listener on it once it ends', async () => {
      assert.deepEqual(await kernel.call('echo.ownSignals', { n: 40 }), {
        signal: 0,
        source: 0,
        cancelled: 'CANCELLED',
        after: 0,
      })
    })

    it('cancels a call when the caller aborts: CANCELLED, and the handler signal aborts', async () => {
      const before = (await kernel.call('echo.abortedSeen')) as number
      const controller = new AbortController()
      const pending = kernel.call('echo.watch', undefined, { signal: controller.signal })
      // Abort once the instance holds the call (the cancel then follows it down the link, in
      // order); aborted before that, only the kernel's side would see it.
      const echoInFlight = () =>
        kernel.services().find((s) => s.name === 'echo')!.instances[0]!.inFlight
      assert.ok(await eventually(() => echoInFlight() === 1), 'the call reached the instance')
      controller.abort()
      assert.equal((await rejectionOf(pending)).code, 'CANCELLED')
      assert.ok(
        await eventually(async () => (await kernel.call('echo.abortedSeen')) === before + 1),
      )
    })

    it('propagates meta and the remaining budget to the handler', async () => {
      const seen = (await kernel.call('echo.meta', undefined, {
        meta: { tenant: 'acme' },
        deadline: 2000,
      })) as { meta: Record<string, unknown>; left: number }
      assert.equal(seen.meta.tenant, 'acme')
      assert.ok(seen.left > 1000 && seen.left <= 2050, `budget seen: ${seen.left}`)
    })

    it("routes the handler's ctx.call back through the kernel, with caller, meta and deadline", async () => {
      assert.equal(await kernel.call('echo.relay', { address: 'other.hello' }), 'hi echo')
      const meta = (await kernel.call(
        'echo.relay',
        { address: 'other.meta' },
        { meta: { trace: 't1' } },
      )) as Record<string, unknown>
      assert.equal(meta.trace, 't1')
      const late = await rejectionOf(
        kernel.call(
          'echo.relay',
          { address: 'other.sleep', input: { ms: 1000 } },
          { deadline: 150 },
        ),
      )
      assert.equal(late.code, 'TIMEOUT')
    })

    it('delivers events to the service and its emits to subscribers', async () => {
      kernel.emit('ping.a', { n: 1 })
      assert.ok(
        await eventually(async () =>
          ((await kernel.call('echo.seen')) as string[]).includes('ping.a:{"n":1}'),
        ),
      )
      await kernel.call('echo.publish', { topic: 'pong.b', payload: { n: 2 } })
      assert.ok(await eventually(() => received.some((r) => r.topic === 'pong.b')))
      assert.deepEqual(
        received.find((r) => r.topic === 'pong.b'),
        { topic: 'pong.b', payload: { n: 2 }, caller: 'echo' },
      )
    })

    it('keeps FIFO order per key with serializeBy while keys interleave', async () => {
      const keys = ['x', 'y', 'z'].map((k) => `${placement}-${k}`)
      const calls = []
      for (let seq = 0; seq < 10; seq++) {
        for (const key of keys) calls.push(kernel.call('echo.ordered', { key, seq }))
      }
      await Promise.all(calls)
      for (const key of keys) {
        assert.deepEqual(await kernel.call('echo.orderedLog', key), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      }
    })

    it('runs fire-and-forget requests without an answer', async () => {
      kernel.send('echo.publish', { topic: 'pong.sent', payload: 1 })
      assert.ok(await eventually(() => received.some((r) => r.topic === 'pong.sent')))
    })

    it('streams every item in order, then ends', async () => {
      const items: unknown[] = []
      for await (const item of kernel.stream('echo.count', { n: 100 })) items.push(item)
      assert.deepEqual(
        items,
        Array.from({ length: 100 }, (_, i) => i),
      )
      assert.equal(kernel.openStreams, 0)
    })

    it('ends a stream with the error the producer threw, after the items before it', async () => {
      const items: unknown[] = []
      const error = await rejectionOf(
        (async () => {
          for await (const item of kernel.stream('echo.broken')) items.push(item)
        })(),
      )
      assert.deepEqual(items, [1])
      assert.equal(error.code, 'FORBIDDEN')
    })

    it('holds back a fast producer (credit) and closes it when the consumer stops', async () => {
      let read = 0
      for await (const _ of kernel.stream('echo.endless')) {
        await sleep(5)
        if (++read === 5) break
      }
      let closedAt = -1
      assert.ok(
        await eventually(async () => {
          const line = ((await kernel.call('echo.seen')) as string[]).find((s) =>
            s.startsWith('endless closed at '),
          )
          if (line !== undefined) closedAt = Number(line.slice('endless closed at '.length))
          return line !== undefined
        }),
      )
      assert.ok(closedAt <= 5 + 16 + 1, `producer ran ahead to ${closedAt}`)
      assert.equal(kernel.openStreams, 0)
    })

    it('runs a channel: input items in, answers out', async () => {
      async function* words() {
        yield 'a'
        yield 'b'
        yield 'c'
      }
      const out: unknown[] = []
      for await (const item of kernel.channel('echo.upper', words())) out.push(item)
      assert.deepEqual(out, ['A', 'B', 'C'])
    })

    it("streams through the kernel from the handler's ctx.stream", async () => {
      assert.deepEqual(await kernel.call('echo.collect', { address: 'other.count', n: 40 }), [
        ...Array.from({ length: 40 }, (_, i) => i),
      ])
    })

    it('leaves nothing pending once the work is done', async () => {
      assert.ok(await eventually(() => kernel.pendingCalls === 0 && kernel.openStreams === 0))
      const status = kernel.services().find((s) => s.name === 'echo')!
      assert.equal(status.instances[0]!.inFlight, 0)
      assert.equal(status.instances[0]!.placement, placement)
    })
  })
}
