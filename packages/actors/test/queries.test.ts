import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, isPlexusError, silentLogger } from '@plexus/kernel'
import { actorProxy, defineActor, stateKey } from '@plexus/actors'
import { kvService, memoryBackend } from '@plexus/kv'
import { actorKernel } from './helpers.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A shelf whose state counts how often it is serialised (JSON.stringify calls `toJSON`): the
 * change check after a turn is that serialisation, so the count shows which turns paid for it.
 */
const shelf = (counter: { serialised: number }) =>
  defineActor({
    name: 'shelf',
    state: () => ({
      items: ['tea'],
      toJSON(this: { items: string[] }) {
        counter.serialised++
        return { items: this.items }
      },
    }),
    actions: {
      put: (self, { item }: { id: string; item: string }) => self.state.items.push(item),
      peek: (self, _: { id: string }) => self.state.items.length,
      ping: (_self, _: { id: string }) => 'pong',
    },
    queries: {
      count: (self, _: { id: string }) => self.state.items.length,
      first: async (self, _: { id: string }) => {
        await tick()
        return self.state.items[0]
      },
    },
  })

describe('virtual actors: queries', () => {
  it('answers queries from the state without serialising it; actions that touch it are compared', async (t) => {
    const counter = { serialised: 0 }
    const kind = shelf(counter)
    const kernel = await actorKernel(t, { backend: memoryBackend() }, kind)
    assert.equal(await kernel.call('shelf.count', { id: 's' }), 1)
    const activated = counter.serialised // the activation's snapshot
    for (let i = 0; i < 50; i++) assert.equal(await kernel.call('shelf.count', { id: 's' }), 1)
    assert.equal(await kernel.call('shelf.first', { id: 's' }), 'tea')
    assert.equal(counter.serialised, activated, 'no query serialised the state')
    assert.equal(await kernel.call('shelf.ping', { id: 's' }), 'pong')
    assert.equal(
      counter.serialised,
      activated,
      'an action that never touched the state is not compared',
    )
    assert.equal(await kernel.call('shelf.peek', { id: 's' }), 1)
    assert.equal(counter.serialised, activated + 1, 'an action that read the state is compared')
    assert.equal(await kernel.call('kv.get', { key: stateKey('shelf', 's') }), null, 'not saved')
    assert.equal(await kernel.call('shelf.put', { id: 's', item: 'jam' }), 2)
    assert.deepEqual(await kernel.call('kv.get', { key: stateKey('shelf', 's') }), {
      items: ['tea', 'jam'],
    })
    assert.equal(await actorProxy(kernel, kind, 's').count({}), 2)
  })

  it('refuses a query that assigns the state with INVALID_STATE and keeps the committed state', async (t) => {
    const sneaky = defineActor({
      name: 'sneaky',
      state: () => ({ n: 1 }),
      actions: { bump: (self, _: { id: string }) => ++self.state.n },
      queries: {
        n: (self, _: { id: string }) => self.state.n,
        // The read-only type refuses the assignment; a cast gets past it, the turn does not.
        reset: (self, _: { id: string }) =>
          void ((self as { state: { n: number } }).state = { n: 0 }),
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, sneaky)
    assert.equal(await kernel.call('sneaky.bump', { id: 'k' }), 2)
    const error = await kernel.call('sneaky.reset', { id: 'k' }).catch((e: unknown) => e)
    assert.ok(
      isPlexusError(error) &&
        error.code === 'INVALID_STATE' &&
        /query cannot assign/.test(error.message),
      `expected INVALID_STATE, got ${String(error)}`,
    )
    assert.equal(await kernel.call('sneaky.n', { id: 'k' }), 2)
  })

  it('runs queries one turn at a time with the actions of the same key', async (t) => {
    let running = 0
    let overlaps = 0
    const turn = async () => {
      if (++running > 1) overlaps++
      await tick()
      running--
    }
    const busy = defineActor({
      name: 'busy',
      state: () => ({ writes: 0 }),
      actions: {
        write: async (self, _: { id: string }) => {
          await turn()
          return ++self.state.writes
        },
      },
      queries: {
        read: async (self, _: { id: string }) => {
          await turn()
          return self.state.writes
        },
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, busy)
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        kernel.call(i % 2 === 0 ? 'busy.write' : 'busy.read', { id: 'one' }, { deadline: 60_000 }),
      ),
    )
    assert.equal(overlaps, 0)
    // In arrival order: the read after the n-th write sees n writes.
    assert.deepEqual(
      answers.filter((_, i) => i % 2 === 1),
      Array.from({ length: 100 }, (_, i) => i + 1),
    )
  })

  it('refuses an actor type naming one method both an action and a query', () => {
    assert.throws(
      () =>
        defineActor({
          name: 'twice',
          state: () => ({ n: 0 }),
          actions: { n: (self, _: { id: string }) => self.state.n },
          queries: { n: (self, _: { id: string }) => self.state.n },
        }),
      (e: unknown) =>
        isPlexusError(e) &&
        e.code === 'INVALID_DEFINITION' &&
        /'n' is both an action and a query/.test(e.message),
    )
  })

  it('types a query: its state is read-only and its address is typed', async (t) => {
    const typed = defineActor({
      name: 'typed',
      state: () => ({ items: [] as string[], meta: { tag: 'a' } }),
      actions: {},
      queries: {
        items: (self, _: { id: string }) => {
          // @ts-expect-error: a query cannot change the state's arrays
          if (self.state.items.length > 99) self.state.items.push('x')
          // @ts-expect-error: nor its nested objects
          if (self.state.items.length > 99) self.state.meta.tag = 'b'
          return self.state.items
        },
      },
    })
    const kernel = createKernel({ logger: silentLogger })
      .add(kvService({ backend: memoryBackend() }))
      .add(typed)
    await kernel.start()
    t.after(() => kernel.stop())
    const items: readonly string[] = await kernel.call('typed.items', { id: 'x' })
    assert.deepEqual(items, [])
    assert.deepEqual(await actorProxy(kernel, typed, 'x').items({}), [])
    // @ts-expect-error: the key is a string
    await kernel.call('typed.items', { id: 1 }).catch(() => {})
    // @ts-expect-error: a query's answer is read-only
    const writable: string[] = await kernel.call('typed.items', { id: 'x' })
    assert.ok(writable)
  })
})
