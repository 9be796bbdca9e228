import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PlexusError } from '@plexus/kernel'
import {
  acceptHello,
  createHello,
  decodeEnvelope,
  encodeEnvelope,
  IdSequence,
  isIdOf,
  PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
} from '@plexus/wire'

describe('handshake', () => {
  it('agrees on the highest version both sides speak', () => {
    const hello = createHello({ role: 'host', versions: [1, 2, 3] })
    assert.deepEqual(acceptHello(hello, [1, 2]), { version: 2, peer: hello })
  })

  it('offers every supported version by default and survives the wire', () => {
    const hello = createHello({ role: 'kernel', name: 'node-a' })
    assert.deepEqual(hello.versions, [...SUPPORTED_VERSIONS])
    const received = decodeEnvelope(encodeEnvelope(hello))
    assert.equal(acceptHello(received).version, PROTOCOL_VERSION)
  })

  it('refuses a peer with no common version, naming the versions seen and supported', () => {
    const hello = createHello({ role: 'host', versions: [2, 3] })
    assert.throws(
      () => acceptHello(hello, [1]),
      (error) =>
        error instanceof PlexusError &&
        error.code === 'PROTOCOL' &&
        error.message === 'No common protocol version: the peer speaks 2, 3; this side speaks 1' &&
        JSON.stringify(error.data) ===
          JSON.stringify({ reason: 'handshake', seen: [2, 3], supported: [1] }),
    )
  })

  it('carries the optional features a side speaks across the wire; a peer without them sends none', () => {
    const hello = createHello({ role: 'kernel', features: ['event-tally'] })
    assert.deepEqual(decodeEnvelope(encodeEnvelope(hello)), hello)
    assert.equal('features' in createHello({ role: 'kernel' }), false)
  })

  it('refuses a HELLO whose features are not a short list of short names', () => {
    for (const features of ['event-tally', [''], ['x'.repeat(65)], Array(17).fill('f'), [7]]) {
      const bytes = encodeEnvelope({ ...createHello({ role: 'kernel' }), features } as never)
      assert.throws(() => decodeEnvelope(bytes), { code: 'PROTOCOL' }, JSON.stringify(features))
    }
  })

  it('refuses a link whose first envelope is not HELLO', () => {
    assert.throws(() => acceptHello({ t: 12, seq: 1 }), {
      code: 'PROTOCOL',
      message: 'Expected HELLO (t=1) as the first envelope on the link, got t=12',
    })
  })
})

describe('exchange ids', () => {
  it('gives the initiator odd ids and the acceptor even ids, never 0', () => {
    const a = new IdSequence('initiator')
    const b = new IdSequence('acceptor')
    assert.deepEqual([a.next(), a.next(), a.next()], [1, 3, 5])
    assert.deepEqual([b.next(), b.next(), b.next()], [2, 4, 6])
    assert.ok(isIdOf('initiator', 3) && isIdOf('acceptor', 4))
    assert.ok(!isIdOf('initiator', 4) && !isIdOf('acceptor', 0))
  })

  it('skips ids still in use', () => {
    const a = new IdSequence('initiator')
    assert.equal(
      a.next((id) => id < 9),
      9,
    )
  })

  it('wraps within uint32 and keeps its parity', () => {
    const a = new IdSequence('initiator', 0xfffffffd)
    assert.deepEqual([a.next(), a.next(), a.next()], [0xfffffffd, 0xffffffff, 1])
    const b = new IdSequence('acceptor', 0xfffffffc)
    assert.deepEqual([b.next(), b.next(), b.next()], [0xfffffffc, 0xfffffffe, 2])
  })

  it('refuses a first id of the wrong side', () => {
    assert.throws(() => new IdSequence('acceptor', 3), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new IdSequence('initiator', 0), { code: 'INVALID_ARGUMENT' })
  })
})
