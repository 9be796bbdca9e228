import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { attachedFrom, clusterNode, natsServer, routedTo, skip, where } from './helpers.js'

test('two kernels see each other’s services and call them across the link', { skip }, async (t) => {
  const url = await natsServer(t)
  const a = await clusterNode(t, url, 'a', [where('alpha', 'a')])
  const b = await clusterNode(t, url, 'b', [where('beta', 'b')])
  await routedTo(a.kernel, 'beta', 'b')
  await routedTo(b.kernel, 'alpha', 'a')
  assert.equal(await a.kernel.call('beta.node'), 'b')
  assert.equal(await b.kernel.call('alpha.node'), 'a')
  const beta = a.kernel.services().find((s) => s.name === 'beta')!
  assert.deepEqual(
    beta.instances.map((i) => [i.id, i.placement, i.node, i.local]),
    [['b/beta@1', 'node', 'b', false]],
  )
})

test(
  'a node’s services are detached when it leaves, and a service it adds later appears',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const a = await clusterNode(t, url, 'a', [])
    const b = await clusterNode(t, url, 'b', [where('beta', 'b')])
    await routedTo(a.kernel, 'beta', 'b')
    b.kernel.add(where('gamma', 'b'))
    await routedTo(a.kernel, 'gamma', 'b')
    assert.equal(await a.kernel.call('gamma.node'), 'b')
    await b.kernel.remove('beta')
    await until(() => attachedFrom(a.kernel, 'beta', 'b') === 0)
    await b.kernel.stop()
    await until(() => a.kernel.services().every((s) => s.instances.every((i) => i.node !== 'b')))
    assert.equal(a.plugin.cluster?.links, 0)
  },
)

test(
  'a second live node with the same id is refused at start with INVALID_CONFIG',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    await clusterNode(t, url, 'a', [where('alpha', 'a')])
    const error = await clusterNode(t, url, 'a', []).then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.ok(isPlexusError(error), `expected a PlexusError, got ${String(error)}`)
    assert.equal(error.code, 'INVALID_CONFIG')
    assert.equal((error.data as { reason?: string }).reason, 'duplicate-node')
  },
)

test('a node id left behind by a process that is gone is taken over', { skip }, async (t) => {
  const url = await natsServer(t)
  const nc = await connect({ servers: url })
  t.after(() => nc.close())
  const kv = await new Kvm(nc).create('plexus_test_nodes', { history: 1, ttl: 15_000 })
  await kv.put('a', JSON.stringify({ instance: 'crashed', services: [] }))
  const a = await clusterNode(t, url, 'a', [where('alpha', 'a')])
  const entry = await kv.get('a')
  assert.notEqual(entry?.json<{ instance: string }>().instance, 'crashed')
  assert.equal(entry?.json<{ instance: string }>().instance, a.plugin.self?.instance)
})

test(
  'a node whose entry was deleted by a peer that took it for dead writes it back',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    // A long TTL: the periodic rewrite (every TTL/3 = 20 s) must not be what restores it.
    const a = await clusterNode(t, url, 'a', [], { registryTtl: 60_000 })
    const b = await clusterNode(t, url, 'b', [where('beta', 'b')], { registryTtl: 60_000 })
    await routedTo(a.kernel, 'beta', 'b')
    const nc = await connect({ servers: url })
    t.after(() => nc.close())
    const kv = await new Kvm(nc).open('plexus_test_nodes')
    await kv.delete('b')
    await until(async () => (await kv.get('b'))?.operation === 'PUT')
    const entry = await kv.get('b')
    assert.equal(entry?.json<{ instance: string }>().instance, b.plugin.self?.instance)
    await routedTo(a.kernel, 'beta', 'b')
    assert.equal(await a.kernel.call('beta.node'), 'b')
  },
)

async function until(probe: () => boolean | Promise<boolean>): Promise<void> {
  const { until: wait } = await import('@plexus/testing')
  await wait('the condition', async () => ((await probe()) ? true : undefined))
}
