import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { PlexusError } from '@plexus/kernel'
import { until } from '@plexus/testing'
import type { Exchange, Session } from '@plexus/wire'
import { testSession } from './fixtures.js'

/** Intervals created while the tests run and not cleared yet (the sessions' only timers). */
const live = new Set<unknown>()
const realSetInterval = globalThis.setInterval
const realClearInterval = globalThis.clearInterval

before(() => {
  globalThis.setInterval = (...args: Parameters<typeof setInterval>) => {
    const timer = realSetInterval(...args)
    live.add(timer)
    return timer
  }
  globalThis.clearInterval = (timer: Parameters<typeof clearInterval>[0]) => {
    live.delete(timer)
    realClearInterval(timer)
  }
})

after(() => {
  globalThis.setInterval = realSetInterval
  globalThis.clearInterval = realClearInterval
})

/** Two sessions back to back in message mode; the acceptor answers `echo` at once and holds `hold`. */
function pair() {
  const held: Exchange[] = []
  let ready = 0
  const make = (side: 'initiator' | 'acceptor', peer: () => Session): Session =>
    testSession(
      side,
      {
        ready: () => void ready++,
        request: (request, exchange) => {
          if (request.address === 'test.hold') held.push(exchange!)
          else exchange?.respond(request.input)
        },
      },
      {
        send: (messages) => {
          for (const body of messages) setImmediate(() => peer().receiveMessage(body))
        },
      },
    )
  const ends: { a?: Session; b?: Session } = {}
  ends.a = make('initiator', () => ends.b!)
  ends.b = make('acceptor', () => ends.a!)
  return { a: ends.a, b: ends.b, held, ready: () => ready === 2 }
}

describe('a session’s timers', () => {
  it('stops polling cancel sources once no request of its own is in flight, and polls again for the next one', async (t) => {
    // The sweep timer is unref'd (it must not keep a process alive); this one, not counted, does.
    const keepAlive = realSetInterval(() => {}, 1_000)
    t.after(() => realClearInterval(keepAlive))
    const link = pair()
    await until('the handshake', () => (link.ready() ? true : undefined))
    const source: { reason: PlexusError | undefined } = { reason: undefined }
    assert.equal(await link.a.call('test.echo', 7, { deadline: 5_000, cancel: source }), 7)
    await until('the idle session to drop its sweep timer', () =>
      live.size === 0 ? true : undefined,
    )

    // The next request's cancel source is watched again: setting its reason cancels it.
    const pending = link.a.call('test.hold', 1, { deadline: 5_000, cancel: source })
    await until('the held request to arrive', () => (link.held.length === 1 ? true : undefined))
    assert.equal(live.size, 1)
    source.reason = new PlexusError('CANCELLED', 'the caller gave up')
    await assert.rejects(pending, (error: PlexusError) => error.code === 'CANCELLED')
    await until('the peer to see the cancel', () => (link.held[0]!.aborted ? true : undefined))
    await until('the idle session to drop its sweep timer again', () =>
      live.size === 0 ? true : undefined,
    )
    link.a.close(new PlexusError('UNAVAILABLE', 'test over'))
    link.b.close(new PlexusError('UNAVAILABLE', 'test over'))
  })
})
