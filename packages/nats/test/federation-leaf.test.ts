import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { startLeafClusters, until } from '@plexus/testing'
import { federationKernels, listener, placed, serving } from './federation-helpers.js'
import { routedTo, skip } from './helpers.js'

test(
  'two clusters joined by a leaf node: cluster B calls and hears only what cluster A exports, and a non-exported service’s traffic never crosses the bridge',
  { skip },
  async (t) => {
    const nodes = federationKernels(t)
    const { hub, leaf, crossed } = await startLeafClusters(t)
    // Cluster A (the hub): a1 runs catalog (exported) and secret (not exported).
    const a1 = await nodes.start(
      hub.url,
      'a1',
      [serving('catalog', 'a1'), serving('secret', 'a1')],
      {
        federation: { cluster: 'a', exports: ['catalog'] },
      },
    )
    const a2 = await nodes.start(hub.url, 'a2', [])
    // Cluster B (the leaf): b1 imports both; b2 only listens, by the usual topics.
    const b1 = await nodes.start(leaf.url, 'b1', [], {
      federation: { cluster: 'b', imports: ['catalog', 'secret'] },
    })
    const heard = listener(['catalog.*', 'secret.*'])
    const b2 = await nodes.start(leaf.url, 'b2', [heard.service])
    await placed(b1.kernel, 'catalog', 'federated')
    await routedTo(b1.kernel, 'listener', 'b2')
    await routedTo(a2.kernel, 'secret', 'a1')

    // Calls by the usual address; the service not exported is not there at all.
    for (let i = 0; i < 100; i++) assert.equal(await b1.kernel.call('catalog.get'), 'a1')
    const refused = await b1.kernel.call('secret.get').then(
      () => undefined,
      (error: unknown) => error,
    )
    assert.ok(isPlexusError(refused), `expected a PlexusError, got ${String(refused)}`)
    assert.equal(refused.code, 'NOT_FOUND')
    assert.equal(b1.kernel.services().filter((s) => s.name === 'secret').length, 0)
    // The clusters stay apart: B's own registry never lists A's nodes.
    assert.equal(b2.kernel.services().filter((s) => s.name === 'catalog').length, 0)
    assert.equal(a1.kernel.services().filter((s) => s.name === 'listener').length, 0)

    // Events: secret's first, then catalog's (one publisher, in order): once the 50th
    // catalog event is heard, any secret event that crossed would have been heard before it.
    for (let i = 0; i < 50; i++) a1.kernel.emit('secret.changed', { i })
    for (let i = 0; i < 50; i++) a1.kernel.emit('catalog.updated', { i })
    await until('50 catalog events in cluster B', () =>
      heard.count('catalog.updated') >= 50 ? true : undefined,
    )
    assert.equal(heard.count('catalog.updated'), 50)
    assert.equal(heard.count('secret.changed'), 0)
    assert.equal(a1.plugin.federation?.eventsOut, 50)
    assert.equal(b1.plugin.federation?.eventsIn, 50)

    // The bridge under a non-exported service's load: A-internal calls and events of secret.
    const spy = await connect({ servers: leaf.url })
    t.after(() => spy.close())
    let spied = 0
    spy.subscribe('plexus.shop.fed.secret.>', { callback: () => void spied++ })
    await spy.flush()
    const before = await crossed()
    for (let i = 0; i < 200; i++) assert.equal(await a2.kernel.call('secret.get'), 'a1')
    for (let i = 0; i < 200; i++) a1.kernel.emit('secret.changed', { i })
    await a1.kernel.call('catalog.get') // a round trip inside A after the emits
    const during = (await crossed()) - before
    assert.equal(spied, 0)
    // 600 messages of secret inside A; only federation-link PINGs may cross meanwhile.
    assert.ok(during < 60, `${during} messages crossed the leaf under secret's load`)

    // The same count moves with exported traffic: 200 calls are ≥ 400 messages across.
    const start = await crossed()
    for (let i = 0; i < 200; i++) await b1.kernel.call('catalog.get')
    const exported = (await crossed()) - start
    assert.ok(exported >= 400, `${exported} messages crossed for 200 exported calls`)
    assert.equal(heard.count('secret.changed'), 0)
  },
)
