/**
 * Plays the kernel against the Python host (hosts/python/examples/pyecho.py) over TCP and
 * checks every model of docs/protocol.md it implements; exits non-zero on any mismatch.
 *
 *   node --conditions=plexus-source --import tsx hosts/python/tools/fake-kernel.ts
 *
 * The kernel side is the repo's `Session`, so what passes here is what the real link speaks; a
 * script rather than the real kernel so it can also send what a kernel never would (bad frames,
 * wrong id parity, no HELLO). packages/remote/test/python-host.test.ts runs it in the suite.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PlexusError } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { EnvelopeType, encodeFrame, type Envelope } from '@plexus/wire'
import { type Connection, FakeListener } from './kernel-end.js'
import { badFrames, rawRequest } from './raw-frames.js'

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
const PYECHO = fileURLToPath(new URL('../examples/pyecho.py', import.meta.url))
const TOKEN = 'fake-kernel-token'
const T = EnvelopeType

const listener = new FakeListener()
const url = await listener.listen()
const child = spawn(PYTHON, [PYECHO, '--connect', url, '--token', TOKEN, '--log-level', 'error'], {
  stdio: ['ignore', 'inherit', 'pipe'],
})
let stderr = ''
child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
// However this script ends (even a top-level await left pending), the host goes with it.
process.once('exit', () => child.kill('SIGKILL'))

let link: Connection = await listener.next()
let session = link.session ?? link.speak()
const results: { name: string; error?: unknown }[] = []

/** Runs one named check; a failure is recorded and the run goes on. */
async function check(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body()
    results.push({ name })
    console.log(`ok   ${name}`)
  } catch (error) {
    results.push({ name, error })
    console.log(`FAIL ${name}\n     ${String((error as Error)?.stack ?? error)}`)
  }
}

/** `promise`, or a failure naming `what` after `ms`: no check may hang the run. */
async function within<V>(promise: Promise<V>, what: string, ms = 15_000): Promise<V> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** A call through the Session; bounded here, since the Session keeps no timer of its own. */
const call = (address: string, input?: unknown, deadline = 10_000, extra = {}) =>
  within(
    session.call(address, input, { deadline, ...extra }),
    address,
    Math.min(deadline, 60_000) + 5000,
  )

async function rejection(promise: Promise<unknown>): Promise<PlexusError> {
  try {
    await promise
  } catch (error) {
    return error as PlexusError
  }
  throw new Error('expected a rejection')
}

/** What pyecho's handlers counted (`stats` action). */
interface Stats {
  slowStarted: number
  slowCancelled: number
  slowFinished: number
  countClosed: number
  countItems: number
  stubbornFinished: number
}

async function stats(): Promise<Stats> {
  return (await call('pyecho.stats')) as Stats
}

/** A fresh session on the host's next connection (after it dialled again). */
async function reconnected(): Promise<void> {
  link = await listener.next()
  session = link.speak()
  await until('the HELLO of the reconnected host', () => link.handshake)
}

await check(
  'handshake: the host says HELLO as a host with its manifest and the token',
  async () => {
    const hello = (await until('HELLO', () => link.handshake)).peer
    assert.equal(hello.role, 'host')
    assert.deepEqual(hello.versions, [1])
    assert.equal((hello as unknown as { token?: string }).token, TOKEN)
    const [manifest] = hello.services
    assert.equal(manifest?.name, 'pyecho')
    assert.equal(manifest?.version, 1)
    assert.deepEqual(manifest?.streams, ['count'])
    assert.deepEqual(manifest?.events, [{ pattern: 'pyecho.ping.*', delivery: 'balanced' }])
    assert.ok(manifest?.actions.some((a) => a.name === 'echo' && a.idempotent === true))
  },
)

await check('call: answered with RESPONSE, values intact', async () => {
  for (const value of [1, 'héllo ✓', null, [1, { a: [true] }], { deep: { er: 'x' } }, undefined]) {
    assert.deepEqual(await call('pyecho.echo', value), value ?? undefined)
  }
  assert.equal(await call('pyecho@1.echo', 'pinned'), 'pinned')
})

await check('call: 200 in flight at once are all answered, each with its own output', async () => {
  const outputs = await Promise.all(Array.from({ length: 200 }, (_, i) => call('pyecho.echo', i)))
  assert.deepEqual(
    outputs,
    Array.from({ length: 200 }, (_, i) => i),
  )
})

await check('send: runs the handler and nothing is ever answered, not even an error', async () => {
  const before = link.received().length
  session.send('pyecho.nope', 1, { deadline: 5000 }) // NOT_FOUND: still no answer
  session.send('pyecho.fail', { message: 'quiet' }, { deadline: 5000 }) // raises: no answer
  session.send('pyecho.emit', { topic: 'py.sent', payload: 7 }, { deadline: 5000 })
  const event = await until('the event the send emitted', () =>
    link.events.find((e) => e.topic === 'py.sent'),
  )
  assert.equal(event.payload, 7)
  await call('pyecho.echo', 'flush')
  const answers = link
    .received()
    .slice(before)
    .filter((e) => (e.t === T.RESPONSE || e.t === T.ERROR) && e.id === 0)
  assert.deepEqual(answers, [])
})

await check('errors: a Python exception is HANDLER with its message and no traceback', async () => {
  const error = await rejection(call('pyecho.fail', { message: 'boom' }))
  assert.equal(error.code, 'HANDLER')
  assert.equal(error.message, 'boom')
  assert.equal(error.retryable, false)
  assert.equal((error.cause as Error | undefined)?.name, 'ValueError')
  const raw = link.received(T.ERROR).map((e) => JSON.stringify(e))
  assert.ok(!raw.some((text) => text.includes('Traceback') || text.includes('.py"')), raw.join())
})

await check('errors: a raised PlexusError keeps its code, data and retryable', async () => {
  const error = await rejection(
    call('pyecho.fail', { code: 'FORBIDDEN', message: 'no', data: { who: 'x' } }),
  )
  assert.equal(error.code, 'FORBIDDEN')
  assert.equal(error.message, 'no')
  assert.deepEqual(error.data, { who: 'x' })
  const busy = await rejection(
    call('pyecho.fail', { code: 'OVERLOADED', message: 'busy', retryable: false }),
  )
  assert.equal(busy.code, 'OVERLOADED')
  assert.equal(busy.retryable, false)
})

await check('errors: an unknown address is NOT_FOUND naming service and address', async () => {
  const missing = await rejection(call('pyecho.nope'))
  assert.equal(missing.code, 'NOT_FOUND')
  assert.deepEqual(missing.data, { service: 'pyecho', address: 'pyecho.nope' })
  assert.equal((await rejection(call('other.echo'))).code, 'NOT_FOUND')
  assert.equal((await rejection(call('pyecho@2.echo'))).code, 'NOT_FOUND')
  const stream = session.open('stream', 'pyecho.echo', 1, { deadline: 5000 })
  assert.equal((await rejection(stream.next())).code, 'NOT_FOUND')
})

await check('events: an EVENT reaches the matching handler, others do not', async () => {
  session.emit('pyecho.other', { n: 0 }, undefined)
  session.emit('pyecho.ping.a', { n: 1 }, { tid: 'e' })
  const pings = await until('the event handled', async () => {
    const seen = (await call('pyecho.pings')) as { topic: string; payload: unknown }[]
    return seen.length > 0 ? seen : undefined
  })
  assert.deepEqual(pings, [{ topic: 'pyecho.ping.a', payload: { n: 1 } }])
})

await check(
  'events: a REQUEST to <service>.$event { pattern, topic, payload } runs that subscription',
  async () => {
    const output = await call('pyecho.$event', {
      pattern: 'pyecho.ping.*',
      topic: 'pyecho.ping.b',
      payload: 2,
    })
    assert.equal(output, undefined)
    const pings = (await call('pyecho.pings')) as { topic: string }[]
    assert.equal(pings.at(-1)?.topic, 'pyecho.ping.b')
  },
)

await check('events: a handler emits an EVENT back to the kernel', async () => {
  assert.equal(await call('pyecho.emit', { topic: 'py.out', payload: { x: 1 } }), true)
  const event = await until('py.out', () => link.events.find((e) => e.topic === 'py.out'))
  assert.deepEqual(event.payload, { x: 1 })
})

await check('deadline: the handler sees the remaining budget, caller and meta', async () => {
  const seen = (await call('pyecho.budget', undefined, 5000, {
    caller: 'web',
    meta: { tid: 'x' },
  })) as { remainingMs: number; caller: string; meta: unknown }
  assert.ok(seen.remainingMs > 3000 && seen.remainingMs <= 5000, String(seen.remainingMs))
  assert.equal(seen.caller, 'web')
  assert.deepEqual(seen.meta, { tid: 'x' })
  const none = (await call('pyecho.budget', undefined, Infinity)) as { remainingMs: unknown }
  assert.equal(none.remainingMs, null, '0xffffffff is no deadline')
})

await check('deadline: budget 0 is TIMEOUT without running the handler', async () => {
  const before = await stats()
  const error = await rejection(call('pyecho.slow', { ms: 1 }, 0))
  assert.equal(error.code, 'TIMEOUT')
  assert.equal((await stats()).slowStarted, before.slowStarted)
})

await check(
  'deadline: a budget that runs out is answered TIMEOUT and the handler aborted',
  async () => {
    const before = await stats()
    const error = await within(rejection(call('pyecho.slow', { ms: 30_000 }, 300)), 'TIMEOUT')
    assert.equal(error.code, 'TIMEOUT')
    assert.match(error.message, /budget/)
    await until('the handler saw it', async () =>
      (await stats()).slowCancelled > before.slowCancelled ? true : undefined,
    )
  },
)

await check(
  'deadline: a handler that ignores its context is still answered TIMEOUT in time',
  async () => {
    const before = await stats()
    const error = await within(rejection(call('pyecho.stubborn', { ms: 4000 }, 300)), 'TIMEOUT')
    assert.equal(error.code, 'TIMEOUT')
    assert.equal(
      (await stats()).stubbornFinished,
      before.stubbornFinished,
      'answered before it ended',
    )
  },
)

await check('cancel: the handler sees it and the answer is dropped', async () => {
  const before = await stats()
  const controller = new AbortController()
  const pending = call('pyecho.slow', { ms: 30_000 }, 60_000, { signal: controller.signal })
  await until('slow started', async () =>
    (await stats()).slowStarted > before.slowStarted ? true : undefined,
  )
  const requestId = link.log
    .filter((s) => s.dir === 'out' && s.envelope?.t === T.REQUEST)
    .map((s) => s.envelope as Envelope & { id: number; address: string })
    .findLast((e) => e.address === 'pyecho.slow')?.id
  assert.ok(requestId !== undefined)
  controller.abort()
  assert.equal((await rejection(pending)).code, 'CANCELLED')
  await until('the handler saw the CANCEL', async () =>
    (await stats()).slowCancelled > before.slowCancelled ? true : undefined,
  )
  await call('pyecho.echo', 'after')
  assert.deepEqual(link.received(T.RESPONSE, requestId), [])
  assert.deepEqual(link.received(T.ERROR, requestId), [])
})

await check('ping: PONG with the same seq, ahead of 40 queued slow calls', async () => {
  const mark = link.log.length
  const slow = Array.from({ length: 40 }, () => call('pyecho.slow', { ms: 3000 }))
  const slowIds = await until('the 40 requests written', () => {
    const ids = link.log
      .slice(mark)
      .filter((s) => s.dir === 'out' && s.envelope?.t === T.REQUEST)
      .map((s) => (s.envelope as { id: number }).id)
    return ids.length === 40 ? new Set(ids) : undefined
  })
  session.ping(41)
  await Promise.all(slow)
  const pong = link.log.find((s) => s.envelope?.t === T.PONG && s.envelope.seq === 41)
  assert.ok(pong !== undefined, 'PONG 41 arrived')
  const first = link.log.find(
    (s) => s.dir === 'in' && s.envelope?.t === T.RESPONSE && slowIds.has(s.envelope.id),
  )
  assert.ok(first !== undefined && pong.seq < first.seq, 'the PONG came before any slow answer')
})

await check('stream: every item in order, then STREAM_END', async () => {
  const items: unknown[] = []
  for await (const item of session.open('stream', 'pyecho.count', { n: 5 }, { deadline: 10_000 }))
    items.push(item)
  assert.deepEqual(items, [0, 1, 2, 3, 4])
})

await check('stream: a generator that raises ends the stream with ERROR', async () => {
  const stream = session.open('stream', 'pyecho.count', { n: 'x' }, { deadline: 10_000 })
  assert.equal((await rejection(stream.next())).code, 'HANDLER')
})

await check('stream: never more items in flight than the credit granted (window 4)', async () => {
  link.socket.destroy() // a new link whose session grants a window of 4
  link = await listener.next()
  session = link.speak(4)
  await until('HELLO', () => link.handshake)
  const items: unknown[] = []
  for await (const item of session.open(
    'stream',
    'pyecho.count',
    { n: 60 },
    { deadline: 30_000 },
  )) {
    items.push(item)
    await new Promise((resolve) => setTimeout(resolve, 5)) // a slow consumer
  }
  assert.equal(items.length, 60)
  const request = link.log.find((s) => s.dir === 'out' && s.envelope?.t === T.REQUEST)
  const id = (request?.envelope as { id: number; credit?: number }).id
  let allowed = (request?.envelope as { credit?: number }).credit ?? 16
  let received = 0
  for (const s of link.log) {
    const e = s.envelope
    if (e?.t === T.CREDIT && e.id === id && s.dir === 'out') allowed += e.n
    if (e?.t === T.STREAM_ITEM && e.id === id && s.dir === 'in') {
      received++
      assert.ok(received <= allowed, `item ${received} arrived with only ${allowed} granted`)
    }
  }
  assert.equal(received, 60)
})

await check(
  'stream: with no CREDIT the host stops at the initial credit, then resumes',
  async () => {
    const id = 2_000_001
    link.writeRaw(
      encodeFrame({
        t: T.REQUEST,
        id,
        kind: 'stream',
        address: 'pyecho.count',
        deadline: 30_000,
        credit: 2,
        input: { n: 10 },
      }),
    )
    await until('2 items', () => (link.received(T.STREAM_ITEM, id).length >= 2 ? true : undefined))
    for (let i = 0; i < 3; i++) await call('pyecho.echo', i)
    assert.equal(link.received(T.STREAM_ITEM, id).length, 2)
    const before = await stats()
    link.writeRaw(encodeFrame({ t: T.CREDIT, id, n: 3 }))
    await until('5 items', () => (link.received(T.STREAM_ITEM, id).length >= 5 ? true : undefined))
    for (let i = 0; i < 3; i++) await call('pyecho.echo', i)
    assert.equal(link.received(T.STREAM_ITEM, id).length, 5)
    link.writeRaw(encodeFrame({ t: T.CANCEL, id, reason: 'consumer closed' }))
    await until('the generator closed', async () =>
      (await stats()).countClosed > before.countClosed ? true : undefined,
    )
    assert.deepEqual(link.received(T.STREAM_END, id), [])
  },
)

await check('stream: the consumer breaking off sends CANCEL and closes the generator', async () => {
  const before = await stats()
  const stream = session.open(
    'stream',
    'pyecho.count',
    { n: 1000, delayMs: 5 },
    { deadline: 30_000 },
  )
  let taken = 0
  for await (const _ of stream) if (++taken === 3) break
  await until('countClosed', async () =>
    (await stats()).countClosed > before.countClosed ? true : undefined,
  )
  const after = await stats()
  assert.ok(after.countItems - before.countItems < 1000, 'the generator stopped early')
})

await check(
  'malformed: each bad envelope is refused, its exchange answered, the link stays up',
  async () => {
    for (const bad of badFrames()) {
      link.writeRaw(bad.frame)
      if (bad.answer !== undefined) {
        const error = await until(`ERROR for ${bad.name}`, () => link.received(T.ERROR, bad.id)[0])
        const json = (error as { error: { code: string; data: { reason: string } } }).error
        assert.equal(json.code, 'PROTOCOL', bad.name)
        assert.equal(json.data.reason, bad.answer, bad.name)
      }
    }
    assert.equal(await call('pyecho.echo', 'still up'), 'still up')
    const answered = badFrames().filter((b) => b.answer === undefined)
    for (const bad of answered) {
      if (bad.id !== undefined) assert.deepEqual(link.received(T.ERROR, bad.id), [], bad.name)
    }
  },
)

await check(
  'malformed: a REQUEST with the host’s own id parity is refused with ERROR',
  async () => {
    link.writeRaw(rawRequest(3_000_002, 'pyecho.echo', Buffer.from('1')))
    const error = await until('ERROR', () => link.received(T.ERROR, 3_000_002)[0])
    assert.equal((error as { error: { code: string } }).error.code, 'PROTOCOL')
  },
)

await check('framing: a 4 GiB length prefix closes the link; the host dials back', async () => {
  const old = link
  old.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xff]))
  await within(old.closed, 'the host to close the link')
  await reconnected()
  assert.equal(await call('pyecho.echo', 'back'), 'back')
})

await check('handshake: a first envelope that is not HELLO is ERROR id 0, then close', async () => {
  link.socket.destroy()
  const raw = await listener.next()
  raw.writeRaw(encodeFrame({ t: T.PING, seq: 1 }))
  await within(raw.closed, 'the host to close the link')
  const error = raw.received(T.ERROR, 0)[0] as { error: { code: string; data: { reason: string } } }
  assert.equal(error?.error.code, 'PROTOCOL')
  assert.equal(error?.error.data.reason, 'handshake')
  assert.deepEqual(raw.received(T.PONG), [], 'nothing but HELLO and the ERROR')
})

await check('handshake: no common version is ERROR id 0 naming both lists', async () => {
  const raw = await listener.next()
  raw.writeRaw(encodeFrame({ t: T.HELLO, versions: [2, 3], role: 'kernel', services: [] }))
  await within(raw.closed, 'the host to close the link')
  const error = raw.received(T.ERROR, 0)[0] as {
    error: { message: string; data: { seen: number[]; supported: number[] } }
  }
  assert.match(error?.error.message ?? '', /peer speaks 2, 3; this side speaks 1/)
  assert.deepEqual(error?.error.data.seen, [2, 3])
})

await check('handshake: the host gives up after 5 s without a HELLO', async () => {
  const raw = await listener.next()
  const started = Date.now()
  await within(raw.closed, 'the host to close the link')
  assert.ok(Date.now() - started >= 4000, `closed after ${Date.now() - started} ms`)
  assert.equal(raw.received(T.HELLO).length, 1)
})

await check(
  'link error: an ERROR id 0 from the kernel (a refused token) closes the link; the host dials again',
  async () => {
    const refused = await listener.next()
    refused.speak()
    await until('HELLO', () => refused.handshake)
    const error = new PlexusError('UNAUTHORIZED', 'The token is not the configured one')
    refused.writeRaw(encodeFrame({ t: T.ERROR, id: 0, error: error.toJSON() }))
    await within(refused.closed, 'the host to close the link')
    await reconnected()
    assert.equal(await call('pyecho.echo', 'after the refusal'), 'after the refusal')
  },
)

await check(
  'reconnect: after the kernel drops the link the host dials again and serves',
  async () => {
    for (const round of [1, 2, 3]) {
      link.socket.destroy()
      await reconnected()
      assert.equal(await call('pyecho.echo', round), round)
    }
  },
)

await check('stop: SIGTERM ends the host cleanly (exit 0, link closed)', async () => {
  child.kill('SIGTERM')
  const code = await Promise.race([
    exited,
    new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000)),
  ])
  assert.equal(code, 0)
  await within(link.closed, 'the link to close')
})

await check(
  'codec: every frame the host wrote on every link decodes with @plexus/wire',
  async () => {
    const written = listener.all.flatMap((c) => c.log.filter((s) => s.dir === 'in'))
    assert.ok(written.length > 300, `${written.length} frames`)
    assert.deepEqual(
      written.filter((s) => s.envelope === undefined).map((s) => s.refused),
      [],
    )
    const types = new Set(written.map((s) => s.envelope?.t))
    for (const t of [T.HELLO, T.RESPONSE, T.ERROR, T.EVENT, T.STREAM_ITEM, T.STREAM_END, T.PONG])
      assert.ok(types.has(t), `the host wrote a t=${t}`)
  },
)

child.kill('SIGKILL')
await listener.close()
const failed = results.filter((r) => r.error !== undefined)
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`)
if (failed.length > 0) {
  console.log(`--- host stderr ---\n${stderr}`)
  process.exitCode = 1
}
