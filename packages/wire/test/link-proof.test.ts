import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { describe, it } from 'node:test'
import { silentLogger, type PlexusError } from '@plexus/kernel'
import { until } from '@plexus/testing'
import {
  createHello,
  keyIdOf,
  keyRingOf,
  LinkMac,
  LinkProof,
  privateKeyOf,
  Session,
  type LinkProofOptions,
} from '@plexus/wire'

const ed25519 = () => generateKeyPairSync('ed25519')

interface End {
  session: Session
  ready: boolean
  broken: PlexusError | undefined
  requests: string[]
}

/**
 * Two sessions joined back to back in message mode (what a node link or a WebSocket carries),
 * each with its own proof options. `tamper` may rewrite each message in flight.
 */
function pair(
  a: LinkProofOptions | undefined,
  b: LinkProofOptions | undefined,
  tamper: (from: 'a' | 'b', body: Buffer, n: number) => Buffer = (_f, body) => body,
): { a: End; b: End } {
  const ends: Record<'a' | 'b', End> = {} as Record<'a' | 'b', End>
  const counts = { a: 0, b: 0 }
  const make = (name: 'a' | 'b', other: 'a' | 'b', options: LinkProofOptions | undefined): End => {
    const end: End = { ready: false, broken: undefined, requests: [] } as unknown as End
    end.session = new Session({
      side: name === 'a' ? 'initiator' : 'acceptor',
      hello: createHello({ role: 'kernel', name }),
      logger: silentLogger,
      proof: options === undefined ? undefined : new LinkProof(options),
      handlers: {
        ready: () => void (end.ready = true),
        broken: (error) => {
          end.broken = error
          end.session.close(error)
        },
        request: (request) => void end.requests.push(request.address),
        event: () => {},
      },
      send: (messages) => {
        for (const body of messages) {
          const n = ++counts[name]
          setImmediate(() => ends[other].session.receiveMessage(tamper(name, body, n)))
        }
      },
    })
    return end
  }
  ends.a = make('a', 'b', a)
  ends.b = make('b', 'a', b)
  return { a: ends.a, b: ends.b }
}

/** Waits (bounded) until both ends are ready, or one of them was refused. */
const settled = (link: { a: End; b: End }) =>
  until('the handshake to end', () =>
    (link.a.ready && link.b.ready) || link.a.broken !== undefined || link.b.broken !== undefined
      ? true
      : undefined,
  )

/** Waits until `end` was refused (the refusal is the first thing to happen on these links). */
const refused = (end: End) =>
  until('the refusal', () => (end.broken !== undefined ? true : undefined))

function keysFor(names: Record<string, KeyObject>, bind = true) {
  return keyRingOf(
    Object.entries(names).map(([name, key]) => ({ key, ...(bind ? { name } : {}) })),
    'trust',
  )
}

describe('identity proofs in HELLO', () => {
  const ka = ed25519()
  const kb = ed25519()
  const trust = keysFor({ a: ka.publicKey, b: kb.publicKey })

  it('both sides prove themselves over the other side’s challenge and agree per-direction MAC keys', async () => {
    const link = pair(
      { identity: ka.privateKey, trust, keyed: true, peerName: 'b' },
      { identity: kb.privateKey, trust, keyed: true, peerName: 'a' },
    )
    await settled(link)
    assert.equal(link.a.ready, true)
    assert.equal(link.b.ready, true)
    assert.equal(link.a.session.provenBy?.name, 'b')
    assert.equal(link.b.session.provenBy?.id, keyIdOf(ka.publicKey))
    const ak = link.a.session.keys!
    const bk = link.b.session.keys!
    assert.ok(ak.send.equals(bk.receive) && ak.receive.equals(bk.send))
    assert.ok(!ak.send.equals(ak.receive))
    // The proof request is the handshake's, never handed to the owner as traffic.
    assert.deepEqual([...link.a.requests, ...link.b.requests], [])
  })

  it('refuses a peer whose key is not trusted: UNAUTHORIZED unknown-key, nothing served', async () => {
    const stranger = ed25519()
    const link = pair(
      { identity: ka.privateKey, trust, keyed: true, peerName: 'b' },
      { identity: stranger.privateKey, trust, keyed: true, peerName: 'a' },
    )
    await refused(link.a)
    await refused(link.b)
    assert.equal(link.a.ready, false)
    assert.equal(link.a.broken?.code, 'UNAUTHORIZED')
    assert.equal((link.a.broken?.data as { reason: string }).reason, 'unknown-key')
    // The refused side was told why (ERROR id 0) and closed too.
    assert.equal(link.b.broken?.code, 'UNAUTHORIZED')
  })

  it('refuses a trusted key used under another name (a node speaking for another)', async () => {
    const link = pair(
      { identity: ka.privateKey, trust, keyed: true },
      // b signs with a's key, which is trusted for 'a' only.
      { identity: ka.privateKey, trust, keyed: true },
    )
    await refused(link.a)
    assert.equal((link.a.broken?.data as { reason: string }).reason, 'wrong-name')
  })

  it('refuses a peer that sends anything but its proof after HELLO (missing-proof)', async () => {
    const link = pair({ identity: ka.privateKey, trust }, undefined)
    link.b.session.send('x.y', 1, { deadline: 1000 })
    await refused(link.a)
    assert.equal((link.a.broken?.data as { reason: string }).reason, 'missing-proof')
    assert.deepEqual(link.a.requests, [])
  })

  it('refuses a proof whose signature was tampered with in flight (bad-signature)', async () => {
    const link = pair(
      { identity: ka.privateKey, trust, keyed: true },
      { identity: kb.privateKey, trust, keyed: true },
      (from, body, n) => {
        if (from !== 'b' || n !== 2) return body
        const copy = Buffer.from(body)
        // The signature is the last JSON string of the proof: flip a bit inside it.
        copy[copy.length - 5] = copy[copy.length - 5]! ^ 0x01
        return copy
      },
    )
    await refused(link.a)
    assert.equal(link.a.ready, false)
    assert.equal((link.a.broken?.data as { reason: string }).reason, 'bad-signature')
  })

  it('reads keys from PEM, JWK and key files, and refuses a non-Ed25519 key with INVALID_CONFIG', () => {
    const pem = ka.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const jwk = ka.privateKey.export({ format: 'jwk' })
    assert.equal(keyIdOf(privateKeyOf(pem, 'k')), keyIdOf(ka.publicKey))
    assert.equal(keyIdOf(privateKeyOf(jwk, 'k')), keyIdOf(ka.publicKey))
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    assert.throws(
      () => privateKeyOf(rsa.privateKey, 'nats.identity'),
      (e: PlexusError) => e.code === 'INVALID_CONFIG' && /nats\.identity/.test(e.message),
    )
    assert.throws(
      () => privateKeyOf(ka.publicKey, 'nats.identity'),
      (e: PlexusError) => e.code === 'INVALID_CONFIG',
    )
  })
})

describe('LinkMac', () => {
  it('accepts only the untouched body under its own sequence number and direction', () => {
    const keys = { send: Buffer.alloc(32, 1), receive: Buffer.alloc(32, 2) }
    const mine = new LinkMac(keys)
    const theirs = new LinkMac({ send: keys.receive, receive: keys.send })
    const body = Buffer.from('0102000000010000000003e80008', 'hex')
    const mac = theirs.sign(7, body)
    assert.equal(mine.check(7, body, mac), true)
    assert.equal(mine.check(8, body, mac), false, 'another sequence number')
    assert.equal(theirs.check(7, body, mac), false, 'the other direction')
    let refused = 0
    for (let bit = 0; bit < body.length * 8; bit++) {
      const flipped = Buffer.from(body)
      flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7))
      if (!mine.check(7, flipped, mac)) refused++
    }
    assert.equal(refused, body.length * 8)
    assert.equal(mine.check(7, body, undefined), false)
    assert.equal(mine.check(7, body, (mac.startsWith('A') ? 'B' : 'A') + mac.slice(1)), false)
  })
})
