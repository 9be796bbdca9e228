import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import fc from 'fast-check'
import { defineService } from '@plexus/kernel'
import { reportGates, scale, until } from '@plexus/testing'
import { send, startGateway, startKernel } from './helpers.js'
import { TestClient } from './ws-client.js'

/** Every input a handler received, to check none carried an own `__proto__` key. */
const received: unknown[] = []
const echo = defineService({
  name: 'echo',
  actions: {
    take: (_ctx, input: unknown) => {
      received.push(input)
      return { ok: true }
    },
  },
})
const options = {
  routes: { 'POST /api/take': 'echo.take', 'GET /api/take': 'echo.take' },
  websocket: { actions: ['echo.take'] },
}

const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort()

// A JSON text with a poisoned key nested `depth` levels down inside ordinary data.
const poisonedJson = fc
  .record({
    depth: fc.nat({ max: 12 }),
    variant: fc.constantFrom('proto', 'ctor'),
    sibling: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
    inArray: fc.boolean(),
  })
  .map(({ depth, variant, sibling, inArray }) => {
    let inner =
      variant === 'proto'
        ? '{"__proto__":{"polluted":"yes"}}'
        : '{"constructor":{"prototype":{"polluted":"yes"}}}'
    for (let i = 0; i < depth; i++)
      inner = inArray && i % 2 === 0 ? `[${inner}]` : `{"k${i}":${inner}}`
    const rest = JSON.stringify(sibling).slice(1, -1)
    return inner.startsWith('{') && rest !== '' ? `{${rest},"p":${inner}}` : `{"p":${inner}}`
  })

const poisonedQueryKey = fc
  .tuple(
    fc.constantFrom(
      '__proto__',
      'constructor[prototype]',
      'constructor.prototype',
      'a[__proto__]',
      'a.__proto__',
      '__proto__[polluted]',
    ),
    fc.nat({ max: 3 }),
  )
  .map(([key, depth]) => 'x['.repeat(depth) + key + ']'.repeat(depth))

test('T19: 1,000 generated prototype-pollution payloads in bodies, queries, headers, WS messages and meta are all refused with 400 VALIDATION', async (t) => {
  const { base, port } = await startGateway(t, await startKernel(t, echo), options)
  const ws = await TestClient.connect(`ws://127.0.0.1:${port}/ws`)
  t.after(() => ws.close())
  const before = protoKeys()
  received.length = 0
  let refused = 0
  let wsId = 0
  const channel = fc.oneof(
    poisonedJson.map((body) => ({ kind: 'body' as const, body })),
    poisonedQueryKey.map((key) => ({ kind: 'query' as const, key })),
    fc
      .constantFrom('__proto__', 'x-a.__proto__', 'constructor.prototype', 'x-__proto__')
      .map((name) => ({ kind: 'header' as const, name })),
    poisonedJson.map((body) => ({ kind: 'ws' as const, body })),
    poisonedJson.map((body) => ({ kind: 'meta' as const, body })),
  )
  await fc.assert(
    fc.asyncProperty(channel, async (c) => {
      if (c.kind === 'ws' || c.kind === 'meta') {
        const id = ++wsId
        const frame =
          c.kind === 'ws'
            ? `{"id":${id},"type":"call","action":"echo.take","input":${c.body}}`
            : `{"id":${id},"type":"call","action":"echo.take","input":{},"meta":${c.body}}`
        ws.send(frame)
        const answer = await ws.answer(id)
        assert.equal(answer.error?.code, 'VALIDATION', frame)
      } else {
        const res =
          c.kind === 'body'
            ? await send(`${base}/api/take`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: c.body,
              })
            : c.kind === 'query'
              ? await send(`${base}/api/take?ok=1&${encodeURIComponent(c.key)}=yes`)
              : await send(`${base}/api/take`, { headers: { [c.name]: 'yes' } })
        assert.equal(res.status, 400, JSON.stringify(c))
        assert.equal(res.json.error.code, 'VALIDATION')
      }
      refused++
      assert.deepEqual(protoKeys(), before)
      assert.equal(({} as any).polluted, undefined)
    }),
    { numRuns: 1000 },
  )
  assert.equal(refused, 1000)
  assert.equal(received.length, 0, 'no handler ran for a poisoned request')
  // Clean requests still pass through every channel.
  assert.equal((await send(`${base}/api/take?a[b]=1`)).status, 200)
  ws.send({ id: 'clean', type: 'call', action: 'echo.take', input: { a: { constructor: 'x' } } })
  assert.equal((await ws.answer('clean')).type, 'result')
})

/** Opens a raw TCP connection to the gateway. */
function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s))
    s.on('error', reject)
  })
}

/** Reads what the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (c) => (text += c.toString('latin1')))
    socket.on('close', () => resolve(text))
    socket.on('error', () => {})
  })
}

test('T20a: a body just over the 1 MiB limit answers 413, reading at most limit + 64 KiB', async (t) => {
  const { port, gateway } = await startGateway(t, await startKernel(t, echo), options)
  // Every server-side socket, with the bytes it had read when it closed (undefined while open).
  let sockets: { closedAfter?: number }[] = []
  gateway.server.on('connection', (s: Socket) => {
    const entry: { closedAfter?: number } = {}
    sockets.push(entry)
    s.on('close', () => (entry.closedAfter = s.bytesRead))
  })
  const limit = 1024 * 1024
  for (const chunked of [false, true]) {
    sockets = []
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/take',
          agent: false,
          headers: chunked
            ? { 'content-type': 'application/json' }
            : { 'content-type': 'application/json', 'content-length': String(8 * limit) },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', () => {})
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let written = 0
      const pump = (): void => {
        while (written < 8 * limit && !req.destroyed) {
          written += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
      setTimeout(() => reject(new Error('no answer')), 5000).unref()
    })
    assert.equal(status, 413, chunked ? 'chunked' : 'content-length')
    // The server must close the connection (else it could go on reading): wait for that.
    await until('the server to close the connection', () =>
      sockets.length > 0 && sockets.every((e) => e.closedAfter !== undefined) ? true : undefined,
    )
    assert.equal(sockets.length, 1, 'one connection')
    const bytesRead = sockets[0]!.closedAfter!
    assert.ok(bytesRead > 0, 'the request was read')
    assert.ok(
      bytesRead <= limit + 64 * 1024 + 4096,
      `read ${bytesRead} bytes (${chunked ? 'chunked' : 'sized'})`,
    )
  }
})

test('T20b: 20 KiB of headers answers 431', async (t) => {
  const { port } = await startGateway(t, await startKernel(t, echo), options)
  const socket = await raw(port)
  const answer = readAll(socket)
  socket.write(`GET /api/take HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`)
  assert.match(await answer, /^HTTP\/1\.1 431 /)
})

// Small: 40 slow connections, a 600 ms headersTimeout, 1 byte per 100 ms. Full (RELIABILITY.md):
// 1,000 connections with the production 10 s headersTimeout, 1 byte per second (a byte every
// 10 s, as the table says, would be cut off by the timeout before its second byte).
const T20C = scale({
  small: { connections: 40, headersTimeout: 600, drip: 100 },
  full: { connections: 1000, headersTimeout: 10_000, drip: 1000 },
})

test('T20c: slowloris connections are closed by the headers timeout while legitimate traffic sees no error', async (t) => {
  const { connections, headersTimeout, drip: dripMs } = T20C
  const { port, base } = await startGateway(t, await startKernel(t, echo), {
    ...options,
    headersTimeout,
    requestTimeout: 2 * headersTimeout,
    connectionsCheckingInterval: dripMs,
  })
  const slow = await Promise.all(Array.from({ length: connections }, () => raw(port)))
  let closedByServer = 0
  const drip = slow.map(async (s) => {
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
    s.on('error', () => {})
    s.write('GET /api/take HTTP/1.1\r\n')
    // Drips for up to 4x the timeout: long past the point where the server must have cut it.
    for (let i = 0; i < (4 * headersTimeout) / dripMs && !s.destroyed; i++) {
      if (await Promise.race([closed.then(() => true), sleep(dripMs).then(() => false)])) break
      if (!s.destroyed) s.write('X')
    }
    if (s.destroyed || (await Promise.race([closed.then(() => true), sleep(0).then(() => false)])))
      closedByServer++
    s.destroy()
  })
  let ok = 0
  let failed = 0
  let dripping = true
  // Legitimate traffic for as long as the slow connections are open, at least 60 requests.
  const legit = (async () => {
    while (dripping || ok + failed < 60) {
      const res = await send(`${base}/api/take`).catch(() => undefined)
      if (res?.status === 200) ok++
      else failed++
      await sleep(10)
    }
  })()
  await Promise.all(drip)
  dripping = false
  await legit
  reportGates('T20c', `${connections} slow connections, headersTimeout ${headersTimeout} ms`, {
    closedByServer,
    legitimate: ok + failed,
    legitimateFailed: failed,
  })
  assert.equal(closedByServer, connections, 'every slow connection was closed by the server')
  assert.equal(failed, 0)
  assert.ok(ok >= 60, `${ok} legitimate requests answered`)
})

test('T20d/e: 3,000 headers on a WebSocket upgrade and a bogus Sec-WebSocket-Extensions crash nothing', async (t) => {
  const { port, base } = await startGateway(t, await startKernel(t, echo), options)
  const junk = Array.from({ length: 3000 }, (_, i) => `a${i % 10}:1\r\n`).join('')
  const upgrade = (extra: string, lead = ''): string =>
    `GET /ws HTTP/1.1\r\nHost: x\r\n${lead}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`
  const answers: string[] = []
  for (const head of [
    upgrade('', junk),
    upgrade(junk),
    upgrade('Sec-WebSocket-Extensions: constructor\r\n'),
    upgrade('Sec-WebSocket-Extensions: permessage-deflate; constructor=1; __proto__=2\r\n'),
  ]) {
    const socket = await raw(port)
    const answer = readAll(socket)
    socket.write(head)
    setTimeout(() => socket.destroy(), 500).unref()
    answers.push(await answer)
  }
  for (const a of answers) assert.match(a, /^HTTP\/1\.1 (101|400|431)/)
  // Still serving after all of them.
  assert.equal((await send(`${base}/api/take`)).status, 200)
})
