import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, PlexusError } from '@plexus/kernel'
import { quietKernel, rejectionOf } from './helpers.js'

const math = defineService({
  name: 'math',
  version: 1,
  actions: {
    add: (_ctx, { a, b }: { a: number; b: number }) => a + b,
    addLater: async (_ctx, { a, b }: { a: number; b: number }) => a + b,
    boom: () => {
      throw new Error('division by zero')
    },
    boomLater: async () => {
      throw new TypeError('bad things')
    },
    typed: () => {
      throw new PlexusError('FORBIDDEN', 'not yours', { data: { who: 'x' } })
    },
    whoCalls: (ctx) => ({ caller: ctx.caller, meta: ctx.meta }),
  },
})

describe('request/response', () => {
  it('answers a synchronous handler through kernel.call', async () => {
    const kernel = quietKernel().add(math)
    await kernel.start()
    assert.equal(await kernel.call('math.add', { a: 1, b: 2 }), 3)
    assert.equal(await kernel.call('math.addLater', { a: 2, b: 2 }), 4)
    await kernel.stop()
  })

  it('turns a plain Error thrown by a handler into HANDLER with the message kept', async () => {
    const kernel = quietKernel().add(math)
    await kernel.start()
    const sync = await rejectionOf(kernel.call('math.boom'))
    assert.ok(sync instanceof PlexusError)
    assert.equal(sync.code, 'HANDLER')
    assert.equal(sync.message, 'division by zero')
    assert.equal(sync.retryable, false)
    const later = await rejectionOf(kernel.call('math.boomLater'))
    assert.equal(later.code, 'HANDLER')
    assert.equal(later.message, 'bad things')
    await kernel.stop()
  })

  it('passes a PlexusError thrown by a handler through intact', async () => {
    const kernel = quietKernel().add(math)
    await kernel.start()
    const error = await rejectionOf(kernel.call('math.typed'))
    assert.equal(error.code, 'FORBIDDEN')
    assert.deepEqual(error.data, { who: 'x' })
    await kernel.stop()
  })

  it('answers NOT_FOUND for an unknown service, action, version or a malformed address', async () => {
    const kernel = quietKernel().add(math)
    await kernel.start()
    const untyped = kernel as { call(a: string, i?: unknown): Promise<unknown> }
    for (const address of ['nope.add', 'math.nope', 'math@7.add', 'not an address', '']) {
      const error = await rejectionOf(untyped.call(address, {}))
      assert.equal(error.code, 'NOT_FOUND', address)
      assert.match(error.message, /nope|version 7|Malformed/)
    }
    await kernel.stop()
  })

  it('routes a pinned version (math@2.add) while unpinned calls reach the highest version', async () => {
    const v2 = defineService({ name: 'math', version: 2, actions: { add: () => 'v2' } })
    const kernel = quietKernel().add(math).add(v2)
    await kernel.start()
    assert.equal(await kernel.call('math@1.add', { a: 1, b: 1 }), 2)
    assert.equal(await kernel.call('math@2.add'), 'v2')
    assert.equal(await kernel.call('math.add', { a: 0, b: 0 }), 'v2')
    await kernel.stop()
  })

  it('tells the callee who called and carries meta through ctx.call', async () => {
    const front = defineService({
      name: 'front',
      actions: { go: (ctx) => ctx.call('math.whoCalls', {}, { meta: { step: 2 } }) },
    })
    const kernel = quietKernel().add(math).add(front)
    await kernel.start()
    const seen = await kernel.call('front.go', {}, { meta: { requestId: 'r1' } })
    assert.deepEqual(seen, { caller: 'front', meta: { requestId: 'r1', step: 2 } })
    await kernel.stop()
  })

  it('runs send without an answer and counts a failed send instead of throwing', async () => {
    let seen = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'sink',
        actions: {
          take: () => void seen++,
          fail: () => {
            throw new Error('x')
          },
        },
      }),
    )
    await kernel.start()
    kernel.send('sink.take', {})
    kernel.send('sink.fail', {})
    await new Promise((r) => setImmediate(r))
    assert.equal(seen, 1)
    assert.equal(kernel.counters.sendErrors, 1)
    await kernel.stop()
  })

  it('rejects a non-finite or negative deadline with INVALID_ARGUMENT', async () => {
    const kernel = quietKernel().add(math)
    await kernel.start()
    for (const deadline of [Infinity, -1, 0, Number.NaN]) {
      const error = await rejectionOf(kernel.call('math.add', { a: 1, b: 1 }, { deadline }))
      assert.equal(error.code, 'INVALID_ARGUMENT')
    }
    await kernel.stop()
  })

  it('refuses malformed service definitions with INVALID_DEFINITION naming the key', () => {
    const kernel = quietKernel()
    const bad: unknown[] = [
      { name: 'has.dot' },
      { name: 'x', version: 0 },
      { name: 'x', actions: { a: 42 } },
      { name: 'x', events: { 'a.>.b': () => {} } },
      { name: 'x', dependencies: 'users' },
    ]
    for (const definition of bad) {
      assert.throws(
        () => kernel.add(definition as never),
        (e: PlexusError) => e.code === 'INVALID_DEFINITION',
      )
    }
    kernel.add(math)
    assert.throws(
      () => kernel.add(math),
      (e: PlexusError) => e.code === 'DUPLICATE_SERVICE',
    )
  })
})
