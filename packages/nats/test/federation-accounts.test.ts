import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, headers } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { federationPrefix } from '@plexus/nats'
import { startNatsWithConfig, until } from '@plexus/testing'
import { federationKernels, listener, placed, serving } from './federation-helpers.js'
import { skip } from './helpers.js'

/** Namespace `x` is account X, `y` is account Y; X exports catalog's federation subjects only. */
function accounts(dir: string): string {
  const catalog = federationPrefix('x', 'catalog')
  return `jetstream { store_dir: ${JSON.stringify(dir)} }
accounts {
  X: {
    jetstream: enabled
    users: [ { user: x, password: xx } ]
    exports: [ { stream: "${catalog}.out.>" } ]
    imports: [ { stream: { account: Y, subject: "${catalog}.in.>" } } ]
  }
  Y: {
    jetstream: enabled
    users: [ { user: y, password: yy } ]
    exports: [ { stream: "${catalog}.in.>" } ]
    imports: [ { stream: { account: X, subject: "${catalog}.out.>" } } ]
  }
}
`
}

test(
  'namespaces in NATS accounts: account Y reaches only what account X exports, and a message forged into X’s subjects from Y reaches nothing',
  { skip },
  async (t) => {
    const nodes = federationKernels(t)
    const server = await startNatsWithConfig(t, ({ dir }) => accounts(dir))
    const inX = { user: 'x', pass: 'xx', namespace: 'x' }
    const inY = { user: 'y', pass: 'yy', namespace: 'y' }
    const x1 = await nodes.start(
      server.url,
      'n1',
      [serving('catalog', 'x1'), serving('secret', 'x1')],
      { ...inX, federation: { exports: ['catalog', 'secret'] } },
    )
    const heard = listener(['catalog.*', 'secret.*'])
    // Same node id as in X: the accounts (and namespaces) keep them apart.
    const y1 = await nodes.start(server.url, 'n1', [heard.service], {
      ...inY,
      federation: { imports: ['x:catalog', 'x:secret'] },
    })
    await placed(y1.kernel, 'catalog', 'federated')
    assert.equal(await y1.kernel.call('catalog.get'), 'x1')

    // secret is exported by the plug-in but not by the account: Y never sees it.
    const refused = await y1.kernel.call('secret.get').then(
      () => undefined,
      (error: unknown) => error,
    )
    assert.ok(isPlexusError(refused), `expected a PlexusError, got ${String(refused)}`)
    assert.equal(refused.code, 'NOT_FOUND')
    for (let i = 0; i < 20; i++) x1.kernel.emit('secret.changed', { i })
    for (let i = 0; i < 20; i++) x1.kernel.emit('catalog.updated', { i })
    await until('20 catalog events in account Y', () =>
      heard.count('catalog.updated') >= 20 ? true : undefined,
    )
    assert.equal(heard.count('secret.changed'), 0)

    // Forgeries from account Y into X's subjects: a node link, a ping, secret's federation link.
    const spyX = await connect({ servers: server.url, user: 'x', pass: 'xx' })
    const forger = await connect({ servers: server.url, user: 'y', pass: 'yy' })
    t.after(async () => {
      await spyX.close()
      await forger.close()
    })
    let reached = 0
    let marker = 0
    spyX.subscribe('>', {
      callback: (_e, msg) => {
        if (msg.subject === 'plexus.x.marker') marker++
        else if (msg.headers?.get('Forged') === '1') reached++
      },
    })
    await spyX.flush()
    const forged = [
      'plexus.x.link.n1.evil',
      'plexus.x.ping.n1',
      `${federationPrefix('x', 'secret')}.in.link.x.n1.y.evil`,
      `${federationPrefix('x', 'catalog')}.out.evt`,
    ]
    const h = headers()
    h.set('Forged', '1')
    h.set('Plexus-From', 'evil.1')
    h.set('Plexus-Seq', '1')
    for (const subject of forged)
      for (let i = 0; i < 25; i++) forger.publish(subject, '{}', { headers: h })
    await forger.flush()
    // A marker from X, published once the server had every forgery: any forgery that reached
    // X was delivered to the spy before it.
    spyX.publish('plexus.x.marker', '', { headers: h })
    await until('the spy to hear its own marker', () => (marker >= 1 ? true : undefined))
    assert.equal(reached, 0, 'forged messages reached account X')
    assert.equal(x1.plugin.cluster?.refused, 0)
    assert.equal(x1.plugin.federation?.refused, 0)
    assert.equal(heard.count('catalog.updated'), 20)
  },
)
