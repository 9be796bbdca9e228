import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineService } from '@plexus/kernel'
import { sleep, until } from '@plexus/testing'
import { clusterNode, natsServer, routedTo, skip } from './helpers.js'

/** `orders` at `version` on `node`: `get` says which; `placed` events are recorded by sequence. */
function orders(version: number, node: string, handled: Map<number, string[]>) {
  return defineService({
    name: 'orders',
    version,
    actions: { get: () => ({ version, node }) },
    events: {
      'order.placed': (_ctx, { seq }: { seq: number }) => {
        const by = handled.get(seq) ?? []
        by.push(`v${version}@${node}`)
        handled.set(seq, by)
      },
    },
  })
}

test(
  'hot replace across the cluster: v2 starts on node b while v1 runs on node a — 0 failed calls, each balanced event handled exactly once, version pinning works across nodes',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const handled = new Map<number, string[]>()
    await clusterNode(t, url, 'a', [orders(1, 'a', handled)])
    const c = await clusterNode(t, url, 'c', [])
    await routedTo(c.kernel, 'orders', 'a')

    let running = true
    const versions = new Map<number, number>()
    const failures: unknown[] = []
    const loops = Array.from({ length: 8 }, async () => {
      while (running) {
        try {
          const { version } = (await c.kernel.call('orders.get', undefined, {
            deadline: 30_000,
          })) as { version: number }
          versions.set(version, (versions.get(version) ?? 0) + 1)
        } catch (error) {
          failures.push(error)
          await sleep(10)
        }
      }
    })
    let emitted = 0
    const emitter = (async () => {
      while (running) {
        c.kernel.emit('order.placed', { seq: ++emitted })
        await sleep(2)
      }
    })()
    try {
      await until('v1 to serve', () => ((versions.get(1) ?? 0) > 50 ? true : undefined))
      await clusterNode(t, url, 'b', [orders(2, 'b', handled)])
      await until('v2 on b to take the unpinned calls', () =>
        (versions.get(2) ?? 0) > 100 ? true : undefined,
      )
      running = false
      await Promise.all([...loops, emitter])
      assert.deepEqual(failures, [], 'no call failed across the replace')

      // Every emitted event is handled once — by v1 or v2, never both, never lost.
      await until(`all ${emitted} events to be handled`, () =>
        handled.size === emitted ? true : undefined,
      )
      const twice = [...handled].filter(([, by]) => by.length !== 1)
      assert.deepEqual(twice, [], 'no event was handled twice')
      const byV2 = [...handled.values()].filter(([by]) => by!.startsWith('v2')).length
      assert.ok(byV2 > 0, 'the new version took over the events too')

      // Pinning reaches the exact version on its node.
      assert.deepEqual(await c.kernel.call('orders@1.get'), { version: 1, node: 'a' })
      assert.deepEqual(await c.kernel.call('orders@2.get'), { version: 2, node: 'b' })
      assert.deepEqual(await c.kernel.call('orders.get'), { version: 2, node: 'b' })
    } finally {
      running = false
    }
  },
)
