import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPlexusError } from '@plexus/kernel'
import { defineActor } from '@plexus/actors'
import { memoryBackend } from '@plexus/kv'
import { until } from '@plexus/testing'
import { actorKernel } from './helpers.js'

/** An actor whose `hold` turn waits until the test opens the latch; `log` records turns. */
const latched = (queue: number) => {
  let open: () => void = () => {}
  const latch = new Promise<void>((resolve) => (open = resolve))
  const ran: string[] = []
  const actor = defineActor({
    name: 'latched',
    queue,
    state: () => ({}),
    actions: {
      hold: async (_self, _: { id: string }) => {
        ran.push('hold')
        await latch
      },
      log: (_self, { tag }: { id: string; tag: string }) => void ran.push(tag),
    },
  })
  return { actor, ran, open: () => open() }
}

describe('virtual actors: the gate', () => {
  it('refuses a turn beyond `queue` waiting turns of one method with OVERLOADED', async (t) => {
    const { actor, ran, open } = latched(3)
    const kernel = await actorKernel(t, { backend: memoryBackend() }, actor)
    const held = kernel.call('latched.hold', { id: 'k' }, { deadline: 60_000 })
    await until('the holding turn to run', async () => (ran.includes('hold') ? true : undefined))
    const waiting = [1, 2, 3].map((n) =>
      kernel.call('latched.log', { id: 'k', tag: `w${n}` }, { deadline: 60_000 }),
    )
    const refused = await kernel
      .call('latched.log', { id: 'k', tag: 'over' }, { deadline: 60_000 })
      .catch((e: unknown) => e)
    assert.ok(
      isPlexusError(refused) &&
        refused.code === 'OVERLOADED' &&
        /latched\.log/.test(refused.message),
      `expected OVERLOADED, got ${String(refused)}`,
    )
    // The backlog is per method: another method of the key may still queue.
    const other = kernel.call('latched.hold', { id: 'k' }, { deadline: 60_000 })
    open()
    await Promise.all([held, ...waiting, other])
    assert.deepEqual(ran, ['hold', 'w1', 'w2', 'w3', 'hold'])
    // Drained: the method takes turns again.
    await kernel.call('latched.log', { id: 'k', tag: 'after' })
    assert.equal(ran.at(-1), 'after')
  })

  it('skips a waiting turn whose caller gave up, without running its body', async (t) => {
    const { actor, ran, open } = latched(10)
    const kernel = await actorKernel(t, { backend: memoryBackend() }, actor)
    const held = kernel.call('latched.hold', { id: 'k' }, { deadline: 60_000 })
    await until('the holding turn to run', async () => (ran.includes('hold') ? true : undefined))
    const abandoned = await kernel
      .call('latched.log', { id: 'k', tag: 'abandoned' }, { deadline: 50 })
      .catch((e: unknown) => e)
    assert.ok(
      isPlexusError(abandoned) && abandoned.code === 'TIMEOUT',
      `expected TIMEOUT, got ${String(abandoned)}`,
    )
    const next = kernel.call('latched.log', { id: 'k', tag: 'next' }, { deadline: 60_000 })
    open()
    await Promise.all([held, next])
    assert.deepEqual(ran, ['hold', 'next'])
  })
})
