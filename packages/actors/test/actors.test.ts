import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, defineService, isPlexusError, silentLogger } from '@plexus/kernel'
import { actorProxy, defineActor, isActorCycle, stateKey } from '@plexus/actors'
import { fileBackend, kvService, memoryBackend } from '@plexus/kv'
import { until } from '@plexus/testing'
import { actorKernel, tempDir } from './helpers.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A counter actor; `idle` and the store vary per test. */
const counter = (idle?: number) =>
  defineActor({
    name: 'counter',
    state: () => ({ n: 0 }),
    ...(idle === undefined ? {} : { idle }),
    actions: {
      bump: (self, _input: { id: string; by?: number }) => (self.state.n += _input.by ?? 1),
      get: (self, _input: { id: string }) => self.state.n,
    },
  })

describe('virtual actors: turns', () => {
  it('runs 1,000 concurrent messages to one key one turn at a time, across methods', async (t) => {
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
        read: async (self, _: { id: string }) => {
          await turn()
          return self.state.writes
        },
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, busy)
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        kernel.call(i % 2 === 0 ? 'busy.write' : 'busy.read', { id: 'one' }, { deadline: 60_000 }),
      ),
    )
    assert.equal(overlaps, 0)
    assert.equal(await kernel.call('busy.read', { id: 'one' }), 500)
    assert.deepEqual(await kernel.call('kv.get', { key: stateKey('busy', 'one') }), { writes: 500 })
  })

  it('shows the overlap count is real: the same handler overlaps without serializeBy, not with it', async (t) => {
    let running = 0
    let overlaps = 0
    const body = async () => {
      if (++running > 1) overlaps++
      await tick()
      running--
    }
    const plain = defineService({
      name: 'plain',
      actions: {
        free: body,
        keyed: { serializeBy: (input: { id: string }) => input.id, handler: body },
      },
    })
    const kernel = createKernel({ logger: silentLogger }).add(plain)
    await kernel.start()
    t.after(() => kernel.stop())
    const burst = (action: 'plain.free' | 'plain.keyed') =>
      Promise.all(Array.from({ length: 1000 }, () => kernel.call(action, { id: 'one' })))
    await burst('plain.free')
    assert.ok(overlaps > 0, `expected overlaps without serializeBy, counted ${overlaps}`)
    overlaps = 0
    await burst('plain.keyed')
    assert.equal(overlaps, 0)
  })

  it('runs different keys in parallel', async (t) => {
    let running = 0
    let most = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const wide = defineActor({
      name: 'wide',
      state: () => ({}),
      actions: {
        hold: async (_self, _: { id: string }) => {
          most = Math.max(most, ++running)
          await gate
          running--
        },
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, wide)
    const calls = ['a', 'b', 'c'].map((id) => kernel.call('wide.hold', { id }))
    await until('three keys to run at once', () => (running === 3 ? true : undefined))
    release()
    await Promise.all(calls)
    assert.equal(most, 3)
  })

  it('refuses a message without its key with VALIDATION', async (t) => {
    const kernel = await actorKernel(t, { backend: memoryBackend() }, counter())
    await assert.rejects(
      (kernel as any).call('counter.bump', { by: 1 }),
      (e: unknown) =>
        isPlexusError(e) && e.code === 'VALIDATION' && /'id'.*undefined/.test(e.message),
    )
  })

  it('answers through a typed proxy that fills in the key', async (t) => {
    const kind = counter()
    const kernel = await actorKernel(t, { backend: memoryBackend() }, kind)
    const a = actorProxy(kernel, kind, 'a')
    assert.equal(await a.bump({ by: 5 }), 5)
    assert.equal(await a.get({}), 5)
    // @ts-expect-error: 'by' is a number
    await a.bump({ by: 'x' }).catch(() => {})
    assert.equal(await kernel.call('counter.get', { id: 'b' }), 0)
  })
})

describe('virtual actors: typed addresses', () => {
  it('types kernel.call from the compiled definition', async (t) => {
    const kind = counter()
    const kernel = createKernel({ logger: silentLogger })
      .add(kvService({ backend: memoryBackend() }))
      .add(kind)
    await kernel.start()
    t.after(() => kernel.stop())
    const n: number = await kernel.call('counter.bump', { id: 'typed', by: 2 })
    assert.equal(n, 2)
    // @ts-expect-error: an unknown method is not an address
    await kernel.call('counter.nope', { id: 'typed' }).catch(() => {})
    // @ts-expect-error: 'by' is a number
    await kernel.call('counter.bump', { id: 'typed', by: '2' }).catch(() => {})
  })
})

describe('virtual actors: persistence', () => {
  it('keeps its state across idle deactivation, reloading it from the store', async (t) => {
    const kernel = await actorKernel(t, { backend: memoryBackend() }, counter(50))
    await kernel.call('counter.bump', { id: 'u1' })
    await kernel.call('counter.bump', { id: 'u1' })
    await until('u1 to deactivate when idle', async () =>
      ((await kernel.call('counter.$active', {})) as string[]).length === 0 ? true : undefined,
    )
    assert.equal(await kernel.call('counter.bump', { id: 'u1' }), 3)
  })

  it('keeps its state across a kernel restart (file store)', async (t) => {
    const dir = await tempDir(t)
    const first = await actorKernel(t, { backend: fileBackend({ dir }) }, counter())
    for (let i = 0; i < 3; i++) await first.call('counter.bump', { id: 'u1' })
    await first.stop()
    const second = await actorKernel(t, { backend: fileBackend({ dir }) }, counter())
    assert.equal(await second.call('counter.get', { id: 'u1' }), 3)
    assert.equal(await second.call('counter.bump', { id: 'u1' }), 4)
  })

  it('does not save a turn that threw, and reloads the last committed state', async (t) => {
    const fragile = defineActor({
      name: 'fragile',
      state: () => ({ items: [] as string[] }),
      actions: {
        add: (self, { item }: { id: string; item: string }) => {
          self.state.items.push(item)
          if (item === 'bad') throw new Error('refused after mutating')
          return self.state.items.length
        },
        get: (self, _: { id: string }) => self.state.items,
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, fragile)
    await kernel.call('fragile.add', { id: 'c', item: 'tea' })
    await assert.rejects(
      kernel.call('fragile.add', { id: 'c', item: 'bad' }),
      /refused after mutating/,
    )
    assert.deepEqual(await kernel.call('fragile.get', { id: 'c' }), ['tea'])
  })
})

describe('virtual actors: timers and reminders', () => {
  it('runs timers as turns and loses them on deactivation', async (t) => {
    const ticking = defineActor({
      name: 'ticking',
      state: () => ({ ticks: 0 }),
      actions: {
        start: (self, _: { id: string }) =>
          self.timer('tick', { in: 5, every: 5 }, (s) => void s.state.ticks++),
        leave: (self, _: { id: string }) => self.deactivate(),
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, ticking)
    await kernel.call('ticking.start', { id: 'lost' })
    await kernel.call('ticking.start', { id: 'kept' })
    const ticks = async (id: string) =>
      ((await kernel.call('kv.get', { key: stateKey('ticking', id) })) as { ticks: number } | null)
        ?.ticks ?? 0
    await until('the timer to have ticked 3 times', async () =>
      (await ticks('lost')) >= 3 ? true : undefined,
    )
    await kernel.call('ticking.leave', { id: 'lost' })
    const atDeactivation = await ticks('lost')
    const kept = await ticks('kept')
    await until('the other actor to tick 5 more times', async () =>
      (await ticks('kept')) >= kept + 5 ? true : undefined,
    )
    assert.equal(await ticks('lost'), atDeactivation, 'no tick after deactivation')
    assert.deepEqual(await kernel.call('ticking.$active', {}), ['kept'])
  })

  it('fires a reminder after a kernel restart, activating the actor, then removes it', async (t) => {
    const dir = await tempDir(t)
    const alarm = () =>
      defineActor({
        name: 'alarm',
        state: () => ({ rang: [] as string[] }),
        reminderScan: 50,
        reminders: { ring: (self, payload) => void self.state.rang.push(String(payload)) },
        actions: {
          set: (self, { note }: { id: string; note: string }) =>
            self.remind('ring', { in: 1000 }, note),
        },
      })
    const first = await actorKernel(t, { backend: fileBackend({ dir }) }, alarm())
    await first.call('alarm.set', { id: 'wake', note: 'tea time' })
    await first.stop()
    const between = await actorKernel(t, { backend: fileBackend({ dir }) })
    const pending = (await between.call('kv.list', {
      prefix: 'actor-reminder/alarm/',
    })) as unknown[]
    assert.equal(pending.length, 1, 'the reminder is stored and has not fired before the restart')
    assert.equal(await between.call('kv.get', { key: stateKey('alarm', 'wake') }), null)
    await between.stop()
    const second = await actorKernel(t, { backend: fileBackend({ dir }) }, alarm())
    const rang = await until('the reminder to ring after the restart', async () => {
      const state = (await second.call('kv.get', { key: stateKey('alarm', 'wake') })) as {
        rang: string[]
      } | null
      return state?.rang.length ? state.rang : undefined
    })
    assert.deepEqual(rang, ['tea time'])
    await until('the one-shot reminder to be removed', async () =>
      ((await second.call('kv.list', { prefix: 'actor-reminder/alarm/' })) as []).length === 0
        ? true
        : undefined,
    )
  })

  it('fires a repeating reminder again and stops after forget', async (t) => {
    const repeat = defineActor({
      name: 'repeat',
      state: () => ({ n: 0 }),
      reminderScan: 20,
      reminders: {
        beat: async (self) => {
          if (++self.state.n === 3) await self.forget('beat')
        },
      },
      actions: { go: (self, _: { id: string }) => self.remind('beat', { in: 0, every: 30 }) },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, repeat)
    await kernel.call('repeat.go', { id: 'r' })
    await until('three beats and the reminder forgotten', async () =>
      ((await kernel.call('kv.list', { prefix: 'actor-reminder/repeat/' })) as []).length === 0
        ? true
        : undefined,
    )
    assert.deepEqual(await kernel.call('kv.get', { key: stateKey('repeat', 'r') }), { n: 3 })
  })

  it('refuses a reminder with no handler, naming it', async (t) => {
    const bare = defineActor({
      name: 'bare',
      state: () => ({}),
      actions: { go: (self, _: { id: string }) => self.remind('nope', { in: 10 }) },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, bare)
    await assert.rejects(kernel.call('bare.go', { id: 'x' }), /no reminder handler 'nope'/)
  })
})

describe('virtual actors: reentrancy', () => {
  const deadline = 30_000

  it('refuses a self-call at once with a typed error instead of waiting for its own turn', async (t) => {
    const selfish = defineActor({
      name: 'selfish',
      state: () => ({}),
      actions: {
        again: (self, input: { id: string }) => self.ctx.call('selfish.again', input),
        other: (self, _: { id: string }) =>
          self.ctx.call('selfish.again', { id: 'other-key-ok' }).catch((e: unknown) => e),
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, selfish)
    const began = Date.now()
    const error = await kernel
      .call('selfish.again', { id: 'a' }, { deadline })
      .catch((e: unknown) => e)
    assert.ok(isActorCycle(error), `expected an actor cycle error, got ${String(error)}`)
    assert.match(
      (error as Error).message,
      /'selfish\/a' is already in this call's chain \(selfish\/a -> selfish\/a\)/,
    )
    assert.ok(Date.now() - began < deadline / 2, 'refused at once, not at the deadline')
  })

  it('refuses a cycle through another actor (a -> b -> a) and allows calls to other keys', async (t) => {
    const a = defineActor({
      name: 'ping',
      state: () => ({}),
      actions: {
        go: (self, input: { id: string; back?: boolean }) =>
          input.back === true ? 'ponged' : self.ctx.call('pong.go', { id: self.key }),
      },
    })
    const b = defineActor({
      name: 'pong',
      state: () => ({}),
      actions: {
        go: async (self, input: { id: string }) => {
          const fresh = await self.ctx.call('ping.go', { id: `${input.id}-2`, back: true })
          const cycle = await self.ctx
            .call('ping.go', { id: input.id, back: true })
            .catch((e: unknown) => e)
          return {
            fresh,
            cycle: isActorCycle(cycle) ? (cycle.data as { cycle: string[] }).cycle : String(cycle),
          }
        },
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, a, b)
    assert.deepEqual(await kernel.call('ping.go', { id: 'k' }, { deadline }), {
      fresh: 'ponged',
      cycle: ['ping/k', 'pong/k', 'ping/k'],
    })
  })

  it('lets a reentrant actor call itself', async (t) => {
    const nested = defineActor({
      name: 'nested',
      reentrant: true,
      state: () => ({ depth: 0 }),
      actions: {
        down: async (self, input: { id: string; n: number }): Promise<number> =>
          input.n === 0
            ? 0
            : 1 + (await self.ctx.call<number>('nested.down', { id: input.id, n: input.n - 1 })),
      },
    })
    const kernel = await actorKernel(t, { backend: memoryBackend() }, nested)
    assert.equal(await kernel.call('nested.down', { id: 'x', n: 5 }, { deadline }), 5)
  })
})
