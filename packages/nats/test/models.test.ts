import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineService, isPlexusError, PlexusError, type Context } from '@plexus/kernel'
import { rejectionOf, until } from '@plexus/testing'
import { clusterNode, natsServer, routedTo, skip } from './helpers.js'

/** Counts what reaches each node: the same service definition, one counter per node. */
function counting(node: string, seen: Map<string, number>) {
  const bump = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)
  return [
    defineService({
      name: 'billing',
      actions: { ping: () => node },
      events: { 'orders.*': () => bump(`billing@${node}`) },
    }),
    defineService({
      name: 'audit',
      actions: { ping: () => node },
      events: {
        'orders.*': { delivery: 'broadcast', handler: () => bump(`audit@${node}`) },
      },
    }),
  ]
}

test(
  'call, send and request-stream cross nodes with meta, deadline and typed errors intact',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const sent: unknown[] = []
    const store = defineService({
      name: 'store',
      actions: {
        echo: (ctx: Context, input: unknown) => ({ input, tenant: ctx.meta['tenant'] }),
        keep: (_ctx: Context, input: unknown) => void sent.push(input),
        refuse: () => {
          throw new PlexusError('VALIDATION', 'qty must be positive', {
            data: { field: 'qty', seen: -1 },
          })
        },
        slow: () => new Promise((resolve) => setTimeout(resolve, 5000)),
      },
      streams: {
        count: async function* (_ctx: Context, { n }: { n: number }) {
          for (let i = 1; i <= n; i++) yield i
        },
      },
    })
    const a = await clusterNode(t, url, 'a', [])
    await clusterNode(t, url, 'b', [store])
    await routedTo(a.kernel, 'store', 'b')

    assert.deepEqual(await a.kernel.call('store.echo', { x: 1 }, { meta: { tenant: 't1' } }), {
      input: { x: 1 },
      tenant: 't1',
    })
    a.kernel.send('store.keep', 'one')
    a.kernel.send('store.keep', 'two')
    await until('both sends handled on b', () => (sent.length === 2 ? true : undefined))
    assert.deepEqual(sent, ['one', 'two'])

    const refused = await rejectionOf(a.kernel.call('store.refuse'))
    assert.ok(isPlexusError(refused))
    assert.equal(refused.code, 'VALIDATION')
    assert.equal(refused.message, 'qty must be positive')
    assert.deepEqual(refused.data, { field: 'qty', seen: -1 })

    const late = await rejectionOf(a.kernel.call('store.slow', undefined, { deadline: 200 }))
    assert.ok(isPlexusError(late))
    assert.equal(late.code, 'TIMEOUT')

    const items: unknown[] = []
    for await (const item of a.kernel.stream('store.count', { n: 50 })) items.push(item)
    assert.deepEqual(
      items,
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
  },
)

test(
  'balanced events are handled once per service across the cluster, broadcast ones (as the definition says) by every node',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const seen = new Map<string, number>()
    const a = await clusterNode(t, url, 'a', counting('a', seen))
    const b = await clusterNode(t, url, 'b', counting('b', seen))
    const c = await clusterNode(t, url, 'c', [])
    for (const node of ['a', 'b']) {
      await routedTo(c.kernel, 'billing', node)
      await routedTo(c.kernel, 'audit', node)
    }
    await routedTo(a.kernel, 'audit', 'b')
    await routedTo(b.kernel, 'audit', 'a')
    const total = 20
    for (let i = 0; i < total; i++) c.kernel.emit('orders.created', { i })
    const billed = () => (seen.get('billing@a') ?? 0) + (seen.get('billing@b') ?? 0)
    await until('every event billed', () => (billed() >= total ? true : undefined))
    await until('every event audited on both nodes', () =>
      seen.get('audit@a') === total && seen.get('audit@b') === total ? true : undefined,
    )
    // Once per service: never twice, and spread over both nodes by the balancer.
    assert.equal(billed(), total)
    assert.ok((seen.get('billing@a') ?? 0) > 0 && (seen.get('billing@b') ?? 0) > 0)
    // An event emitted on a node that also hosts the service stays balanced cluster-wide.
    a.kernel.emit('orders.paid', {})
    await until('a’s own event billed once', () => (billed() === total + 1 ? true : undefined))
    await until('a’s own event audited on both nodes', () =>
      seen.get('audit@a') === total + 1 && seen.get('audit@b') === total + 1 ? true : undefined,
    )
    assert.equal(billed(), total + 1)
  },
)

test(
  'a payload over NATS max_payload crosses intact in parts (2 MiB there and back, 3 MiB stream items); one over the link frame limit (16 MiB) is refused with PROTOCOL frame-too-large and the link lives on',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const echo = defineService({
      name: 'echo',
      actions: { back: (_ctx: Context, x: unknown) => x },
      streams: {
        items: async function* (_ctx: Context, input: { n: number; size: number }) {
          for (let i = 0; i < input.n; i++) yield `${i}:${'y'.repeat(input.size)}`
        },
      },
    })
    const a = await clusterNode(t, url, 'a', [])
    await clusterNode(t, url, 'b', [echo])
    await routedTo(a.kernel, 'echo', 'b')
    // Not a repeated character only: a part boundary that shifted a byte would show.
    const big = Array.from({ length: 2 * 1024 * 1024 }, (_, i) =>
      String.fromCharCode(97 + (i % 26)),
    ).join('')
    assert.equal(await a.kernel.call('echo.back', big), big)
    const items: string[] = []
    for await (const item of a.kernel.stream('echo.items', { n: 3, size: 3 * 1024 * 1024 }))
      items.push(item as string)
    assert.deepEqual(
      items.map((item) => [item.slice(0, 2), item.length]),
      [0, 1, 2].map((i) => [`${i}:`, 3 * 1024 * 1024 + 2]),
    )
    const huge = 'x'.repeat(17 * 1024 * 1024)
    const error = await rejectionOf(a.kernel.call('echo.back', huge))
    assert.ok(isPlexusError(error))
    assert.equal(error.code, 'PROTOCOL')
    assert.equal((error.data as { reason?: string }).reason, 'frame-too-large')
    assert.equal(await a.kernel.call('echo.back', 'small'), 'small')
    assert.equal(a.plugin.cluster?.links, 1)
  },
)
