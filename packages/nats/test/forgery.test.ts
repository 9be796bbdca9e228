import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { defineService, silentLogger, type PlexusError } from '@plexus/kernel'
import { decodeLinkMessage, type TrustedNodeKey } from '@plexus/nats'
import {
  EnvelopeType,
  LinkMac,
  LinkProof,
  Session,
  createHello,
  encodeFrame,
  keyRingOf,
} from '@plexus/wire'
import { reportGates, scale, until } from '@plexus/testing'
import { clusterNode, linkMessage, routedTo, stopKernelsFirst } from './helpers.js'
import { nodeKey, secureNats, secureSkip } from './secure-server.js'

const NS = 'test'
let forgedLinks = 0

/**
 * A forger's node link to `b` speaking for `as`, over the intruder's own NATS connection: a real
 * wire session with a real (untrusted) Ed25519 key, MACing its messages with the keys it agreed.
 */
function forgedLink(
  nc: NatsConnection,
  as: string,
  identity: ReturnType<typeof nodeKey> | undefined,
  trustB: TrustedNodeKey[],
) {
  const id = `forged${++forgedLinks}.1`
  let seq = 0
  let peerLink: string | undefined
  const outcome: { broken?: PlexusError; ready: boolean } = { ready: false }
  const session: Session = new Session({
    side: as < 'b' ? 'initiator' : 'acceptor',
    hello: createHello({ role: 'kernel', name: as }),
    logger: silentLogger,
    proof:
      identity === undefined
        ? undefined
        : new LinkProof({
            identity: identity.privateKey,
            trust: keyRingOf(
              trustB.map((e) => ({ key: e.key })),
              'forger',
            ),
            keyed: true,
          }),
    handlers: {
      ready: () => void (outcome.ready = true),
      broken: (error) => void (outcome.broken = error),
      request: () => {},
      event: () => {},
    },
    // A node link is a byte stream of frames, one tick's frames per NATS message.
    write: (chunk) => {
      const keys = session.keys
      const at = ++seq
      const mac = at > 1 && keys !== undefined ? new LinkMac(keys).sign(at, chunk) : ''
      nc.publish(
        `plexus.${NS}.link.b.${as}`,
        linkMessage({ from: id, to: peerLink, seq: at, mac }, chunk),
      )
    },
  })
  nc.subscribe(`plexus.${NS}.link.${as}.b`, {
    callback: (_e, msg) => {
      const message = decodeLinkMessage(msg.data)
      if (message?.to !== id) return
      peerLink ??= message.from
      session.receive(message.body)
    },
  })
  /** Raw REQUESTs straight after the handshake, whatever b said. */
  const requests = (count: number) => {
    for (let i = 0; i < count; i++) {
      const body = encodeFrame({
        t: EnvelopeType.REQUEST,
        id: 2 * i + 1,
        kind: 'call',
        address: 'work@1.echo',
        deadline: 5000,
        input: { forged: i },
      })
      const keys = session.keys
      const at = ++seq
      const mac = keys !== undefined ? new LinkMac(keys).sign(at, body) : ''
      nc.publish(
        `plexus.${NS}.link.b.${as}`,
        linkMessage({ from: id, to: peerLink, seq: at, mac }, body),
      )
    }
  }
  return { outcome, requests }
}

test(
  'T23: envelopes forged onto NATS link subjects with valid NATS credentials but no kernel identity are never accepted',
  { skip: secureSkip },
  async (t) => {
    const PER_KIND = scale({ small: 250, full: 2_500 })
    stopKernelsFirst(t)
    const nats = await secureNats(t, NS, ['a', 'b'])
    const [ka, kb] = [nodeKey(), nodeKey()]
    const trust: TrustedNodeKey[] = [
      { key: ka.publicKey, node: 'a' },
      { key: kb.publicKey, node: 'b' },
    ]
    const inputs: unknown[] = []
    const work = defineService({
      name: 'work',
      actions: { echo: (_ctx, n: unknown) => (inputs.push(n), n) },
    })
    const options = (name: string, key: ReturnType<typeof nodeKey>) => ({
      ...nats.credentials(name),
      identity: key.privateKey,
      trustedKeys: trust,
    })
    const a = await clusterNode(t, nats.url, 'a', [], options('a', ka))
    const b = await clusterNode(t, nats.url, 'b', [work], options('b', kb))
    await routedTo(a.kernel, 'work', 'b')

    const spy = await connect({ servers: nats.url, ...nats.credentials('intruder') })
    t.after(() => spy.close())
    // b's current link ids with a, read off the wire like any eavesdropper would.
    let aLink = ''
    let bLink = ''
    spy.subscribe(`plexus.${NS}.link.b.a`, {
      callback: (_e, msg) => {
        // The first message seen is a's own (the forgers start later).
        if (aLink !== '') return
        const message = decodeLinkMessage(msg.data)
        aLink = message?.from ?? ''
        bLink = message?.to ?? ''
      },
    })
    let legit = 0
    let failed = 0
    await spy.flush()
    await until('a link message seen', async () => {
      await a.kernel.call('work.echo', { legit: legit++ })
      return aLink !== '' && bLink !== '' ? true : undefined
    })

    const mallory = nodeKey()
    const forgers = [
      forgedLink(spy, 'mallory', mallory, trust), // an unknown node with its own key
      forgedLink(spy, 'a', mallory, trust), // speaking for a with the wrong key
      forgedLink(spy, 'zed', undefined, trust), // no proof at all
    ]
    await until('every forged handshake refused', () =>
      forgers.every((f) => f.outcome.broken !== undefined) ? true : undefined,
    )
    for (const f of forgers) f.requests(PER_KIND)
    // Straight into the a<->b link, with its real link ids and sequence numbers ahead.
    for (let i = 0; i < PER_KIND; i++) {
      const body = encodeFrame({
        t: EnvelopeType.REQUEST,
        id: 2 * i + 1001,
        kind: 'call',
        address: 'work@1.echo',
        deadline: 5000,
        input: { forged: 'inline', i },
      })
      const mac = randomBytes(16).toString('base64url')
      spy.publish(
        `plexus.${NS}.link.b.a`,
        linkMessage({ from: aLink, to: bLink, seq: 1_000_000 + i, mac }, body),
      )
    }
    await spy.flush()
    const forged = 4 * PER_KIND
    // The fence: a's calls still answer after the flood, in order behind it.
    for (let i = 0; i < 50; i++) {
      await a.kernel.call('work.echo', { legit: legit++ }).catch(() => failed++)
    }
    await until('the forged link traffic read by b', () =>
      b.plugin.cluster!.refused >= PER_KIND ? true : undefined,
    )
    const accepted = inputs.filter(
      (n) => typeof n === 'object' && n !== null && 'forged' in n,
    ).length
    reportGates('T23-nats-forged', `${forged} forged`, {
      forged,
      accepted,
      refused: b.plugin.cluster!.refused,
      failedCalls: failed,
    })
    assert.deepEqual(
      forgers.map((f) => (f.outcome.broken?.data as { reason?: string } | undefined)?.reason),
      ['unknown-key', 'unknown-key', 'missing-proof'],
    )
    assert.equal(accepted, 0)
    assert.equal(inputs.length, legit)
    assert.equal(failed, 0)
    assert.equal(a.plugin.cluster!.links, 1)
  },
)
