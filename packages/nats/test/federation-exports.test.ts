import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, headers } from '@nats-io/transport-node'
import { PlexusError, isPlexusError, silentLogger } from '@plexus/kernel'
import { federationPrefix } from '@plexus/nats'
import { startLeafClusters, until } from '@plexus/testing'
import { Session, createHello } from '@plexus/wire'
import { federationKernels, serving } from './federation-helpers.js'
import { skip } from './helpers.js'

test(
  'a hand-written importer on catalog’s federation link reaches catalog only: any other service is refused FORBIDDEN and counted',
  { skip },
  async (t) => {
    const nodes = federationKernels(t)
    const { hub, leaf } = await startLeafClusters(t)
    const a1 = await nodes.start(
      hub.url,
      'a1',
      [serving('catalog', 'a1'), serving('secret', 'a1')],
      {
        federation: { cluster: 'a', exports: ['catalog'] },
      },
    )
    // No Plexus kernel on this side: a raw client speaking the wire protocol on the subjects.
    const nc = await connect({ servers: leaf.url })
    t.after(() => nc.close())
    const prefix = federationPrefix('shop', 'catalog')
    // As a real importer does: link once the exporter announced what it serves.
    let announced = false
    nc.subscribe(`${prefix}.out.here`, {
      callback: (_error, msg) =>
        void (announced ||= msg.json<{ services: unknown[] }>().services.length > 0),
    })
    nc.publish(`${prefix}.in.who`)
    await until('catalog to be announced', () => (announced ? true : undefined))
    let seq = 0
    let ready = false
    const session: Session = new Session({
      side: 'initiator',
      hello: createHello({ role: 'kernel', name: 'evil.e1', maxFrameSize: 65536 }),
      logger: silentLogger,
      maxFrameSize: 65536,
      handlers: {
        ready: () => void (ready = true),
        broken: () => {},
        request: () => {},
        event: () => {},
        pong: () => {},
      },
      send: (messages) => {
        for (const body of messages) {
          const h = headers()
          h.set('Plexus-From', 'forger.1')
          h.set('Plexus-Seq', String(++seq))
          nc.publish(`${prefix}.in.link.a.a1.evil.e1`, body, { headers: h })
        }
      },
    })
    nc.subscribe(`${prefix}.out.link.evil.e1.*.*`, {
      callback: (_error, msg) => session.receiveMessage(msg.data),
    })
    await nc.flush()
    session.flush()
    await until('the federation link to be ready', () => (ready ? true : undefined))

    assert.equal(await session.call('catalog@1.get', undefined, { deadline: 5000 }), 'a1')
    for (const address of ['secret@1.get', 'secret.get', 'catalog-x@1.get']) {
      const error = await session.call(address, undefined, { deadline: 5000 }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(isPlexusError(error), `${address}: expected a PlexusError, got ${String(error)}`)
      assert.equal(error.code, 'FORBIDDEN', address)
      assert.equal((error.data as { reason?: string }).reason, 'not-exported')
    }
    assert.equal(a1.plugin.federation?.refused, 3)
    session.close(new PlexusError('UNAVAILABLE', 'the test is done'))
  },
)
