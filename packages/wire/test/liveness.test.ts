import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PlexusError } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { Liveness, type Session } from '@plexus/wire'
import { testSession } from './fixtures.js'

const INTERVAL = 100
const MISSES = 3
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A kernel-side session and its guest over a byte stream, the kernel PINGing the guest. Bytes
 * from the guest go through `carry`, in order: it may cut a chunk and take its time.
 */
function link(carry: (chunk: Buffer, receive: (bytes: Buffer) => void) => Promise<void>) {
  let ready = 0
  let pongs = 0
  let unresponsive: number | undefined
  let carried = Promise.resolve()
  const make = (side: 'initiator' | 'acceptor', write: (chunk: Buffer) => void): Session =>
    testSession(
      side,
      {
        ready: () => void ready++,
        request: (request, exchange) => exchange?.respond(request.input),
        pong: (seq) => {
          pongs++
          liveness.pong(seq)
        },
      },
      { write },
    )
  const kernel: Session = make('initiator', (chunk) => setImmediate(() => guest.receive(chunk)))
  const guest: Session = make('acceptor', (chunk) => {
    carried = carried.then(() => carry(chunk, (bytes) => kernel.receive(bytes)))
  })
  const liveness = Liveness.of(kernel, INTERVAL, MISSES, (missed) => {
    unresponsive = missed
  })
  const close = () => {
    liveness.stop()
    const over = new PlexusError('UNAVAILABLE', 'test over')
    kernel.close(over)
    guest.close(over)
  }
  return {
    kernel,
    close,
    ready: () => (ready === 2 ? true : undefined),
    pongs: () => pongs,
    unresponsive: () => unresponsive,
  }
}

const asIs = async (chunk: Buffer, receive: (bytes: Buffer) => void) => {
  await new Promise((resolve) => setImmediate(resolve))
  receive(chunk)
}

describe('liveness over a byte stream', () => {
  it('declares a peer unresponsive when its stream is stuck inside a frame that never ends, although its PONGs keep arriving as bytes', async (t) => {
    const l = link(asIs)
    t.after(l.close)
    await until('the handshake', l.ready)
    assert.equal(await l.kernel.call('test.echo', 1, { deadline: 5_000 }), 1)
    // A plausible length prefix (1 MiB, under the frame limit) desynchronizes the stream: every
    // later byte, the guest's PONGs included, is read as that frame's body.
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32BE(1 << 20, 0)
    l.kernel.receive(prefix)
    const missed = await until('the stuck peer to be declared unresponsive', l.unresponsive, {
      ms: 40 * INTERVAL,
    })
    assert.equal(missed, MISSES)
  })

  it('keeps a peer whose one big frame takes two PING intervals to arrive, in pieces', async (t) => {
    const pieces = 4
    const l = link(async (chunk, receive) => {
      if (chunk.length < 64 * 1024) return asIs(chunk, receive)
      const size = Math.ceil(chunk.length / pieces)
      for (let at = 0; at < chunk.length; at += size) {
        await sleep(INTERVAL / 2)
        receive(chunk.subarray(at, at + size))
      }
    })
    t.after(l.close)
    await until('the handshake', l.ready)
    const big = 'x'.repeat(256 * 1024)
    assert.equal(await l.kernel.call('test.echo', big, { deadline: 10_000 }), big)
    // Three PINGs answered after the frame: the checks that would have counted misses have run.
    const pongs = l.pongs()
    await until('three more PONGs', () => (l.pongs() >= pongs + MISSES ? true : undefined))
    assert.equal(l.unresponsive(), undefined)
    assert.equal(await l.kernel.call('test.echo', 2, { deadline: 5_000 }), 2)
  })
})
