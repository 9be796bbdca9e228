import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { WebSocket } from 'ws'
import { createKernel, defineService, silentLogger, type Context } from '@plexus/kernel'
import { createGateway, type GatewayOptions } from '@plexus/gateway'
import { until } from '@plexus/testing'
import { auth, principalOf, PRINCIPAL_KEY } from '@plexus/auth'
import { rsaKey, sign, testVerifier } from './tokens.js'

const key = rsaKey('k1')
const verifier = testVerifier(key)

const shop = defineService({
  name: 'shop',
  actions: {
    catalog: () => ['apple'],
    order: (ctx: Context) => ({ by: principalOf(ctx)?.sub ?? null }),
    admin: () => 'admin',
  },
  streams: {
    async *feed(ctx: Context) {
      yield { by: principalOf(ctx)?.sub ?? null }
    },
  },
})

async function start(t: { after(fn: () => Promise<void>): void }, extra: GatewayOptions = {}) {
  const security = auth({
    verifier,
    policies: {
      actions: {
        'shop.catalog': { public: true },
        'shop.order': { authenticated: true },
        'shop.admin': { roles: ['admin'] },
      },
      streams: { 'shop.feed': { authenticated: true } },
    },
  })
  const kernel = createKernel({ logger: silentLogger, plugins: [security] }).add(shop)
  await kernel.start()
  const gateway = createGateway(kernel, {
    port: 0,
    routes: {
      'GET /catalog': 'shop.catalog',
      'POST /orders': 'shop.order',
      'POST /admin': 'shop.admin',
      'GET /feed': { stream: 'shop.feed' },
    },
    websocket: { actions: ['shop.order'] },
    auth: { verifier: security.verifier!, public: ['GET /catalog'] },
    ...extra,
  })
  const { port } = await gateway.listen()
  t.after(async () => {
    await gateway.close()
    await kernel.stop()
  })
  return `127.0.0.1:${port}`
}

function http(url: string, method: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; json: any }>(
    (resolve, reject) => {
      const req = request(
        url,
        { method, headers: { 'content-type': 'application/json', ...headers }, agent: false },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              json: text.length
                ? JSON.parse(text.split('\n')[0]!.replace(/^data: /, ''))
                : undefined,
            })
          })
        },
      )
      req.on('error', reject)
      req.end(method === 'GET' ? undefined : '{}')
    },
  )
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

test('the gateway answers 401 without a token on protected routes, 200 on public ones', async (t) => {
  const host = await start(t)
  const anonymous = await http(`http://${host}/orders`, 'POST')
  assert.equal(anonymous.status, 401)
  assert.equal(anonymous.headers['www-authenticate'], 'Bearer')
  assert.equal(anonymous.json.error.code, 'UNAUTHORIZED')
  assert.equal(anonymous.json.error.data.reason, 'missing')
  assert.equal((await http(`http://${host}/catalog`, 'GET')).status, 200)
  const bad = await http(`http://${host}/catalog`, 'GET', bearer('nope'))
  assert.equal(bad.status, 401, 'a bad token is refused even on a public route')
})

test('a valid token sets the principal the handler reads; policies answer 403 with the rule', async (t) => {
  const host = await start(t)
  const token = await sign(key, { sub: 'carol' })
  const ok = await http(`http://${host}/orders`, 'POST', bearer(token))
  assert.deepEqual([ok.status, ok.json], [200, { by: 'carol' }])
  const denied = await http(`http://${host}/admin`, 'POST', bearer(token))
  assert.equal(denied.status, 403)
  assert.equal(denied.json.error.data.rule, 'actions:shop.admin')
  const admin = await http(
    `http://${host}/admin`,
    'POST',
    bearer(await sign(key, { roles: ['admin'] })),
  )
  assert.equal(admin.status, 200)
  const feed = await http(`http://${host}/feed`, 'GET', {
    ...bearer(token),
    accept: 'text/event-stream',
  })
  assert.deepEqual([feed.status, feed.json], [200, { by: 'carol' }])
  assert.equal(
    (await http(`http://${host}/feed`, 'GET', { accept: 'text/event-stream' })).status,
    401,
  )
})

// Declares a 10 MB JSON body, sends its first bytes only, and resolves with the answer: a
// gateway that waited for (or parsed) the body would never answer.
function bodyNeverSent(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; json: any; closed: boolean }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '10000000', ...headers },
      agent: false,
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          closed: res.headers.connection === 'close',
        })
        req.destroy()
      })
    })
    req.on('error', reject)
    req.write('{"malformed":')
  })
}

test('a request without a valid token is answered 401 before its body is read, and its connection closed', async (t) => {
  const host = await start(t)
  for (const headers of [{}, bearer('nope')]) {
    const answer = await bodyNeverSent(`http://${host}/orders`, headers)
    assert.equal(answer.status, 401)
    assert.equal(answer.json.error.code, 'UNAUTHORIZED')
    assert.equal(answer.closed, true, 'the unread body is not drained on a kept-alive socket')
  }
  // With a valid token the same route reads and parses its body as before.
  const token = await sign(key, { sub: 'dave' })
  assert.equal((await http(`http://${host}/orders`, 'POST', bearer(token))).status, 200)
})

test('answers carry security headers', async (t) => {
  const host = await start(t)
  const answer = await http(`http://${host}/catalog`, 'GET')
  assert.equal(answer.headers['x-content-type-options'], 'nosniff')
  assert.equal(answer.headers['x-frame-options'], 'DENY')
  assert.equal(answer.headers['referrer-policy'], 'no-referrer')
})

test('a client past its rate limit is answered 429 OVERLOADED with retry-after', async (t) => {
  const host = await start(t, { rateLimit: { max: 5, window: 60_000 } })
  const statuses: number[] = []
  for (let i = 0; i < 8; i++) statuses.push((await http(`http://${host}/catalog`, 'GET')).status)
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429])
  const limited = await http(`http://${host}/catalog`, 'GET')
  assert.equal(limited.json.error.code, 'OVERLOADED')
  assert.ok(limited.headers['retry-after'] !== undefined)
})

function upgrade(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number } | { socket: WebSocket }>((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => resolve({ socket }))
    socket.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0 })
    })
    socket.once('error', reject)
  })
}

test('the WebSocket upgrade needs a valid token; a frame cannot claim a principal', async (t) => {
  const host = await start(t)
  assert.deepEqual(await upgrade(`ws://${host}/ws`), { status: 401 })
  assert.deepEqual(await upgrade(`ws://${host}/ws`, bearer('x.y.z')), { status: 401 })
  const token = await sign(key, { sub: 'dave' })
  const opened = await upgrade(`ws://${host}/ws?access_token=${token}`)
  assert.ok('socket' in opened)
  const socket = opened.socket
  const answer = new Promise<any>((resolve) =>
    socket.once('message', (d: Buffer) => resolve(JSON.parse(d.toString('utf8')))),
  )
  socket.send(
    JSON.stringify({
      id: 1,
      type: 'call',
      action: 'shop.order',
      input: {},
      meta: { [PRINCIPAL_KEY]: { sub: 'root', roles: ['admin'], scopes: [], claims: {} } },
    }),
  )
  assert.deepEqual((await answer).data, { by: 'dave' })
  socket.close()
})

test('a WebSocket is closed with 1008 when its token expires', async (t) => {
  const host = await start(t)
  const token = await sign(key, { sub: 'short', exp: Math.floor(Date.now() / 1000) + 2 })
  const opened = await upgrade(`ws://${host}/ws`, bearer(token))
  assert.ok('socket' in opened)
  let code: number | undefined
  opened.socket.once('close', (c) => (code = c))
  const closed = await until('the socket closed', () => code)
  assert.equal(closed, 1008)
})

test('a connection resending its token is served from what it sent last only while that verification stands', async (t) => {
  let now = Date.now()
  const clocked = testVerifier(key, { now: () => now })
  let verified = 0
  const counting = {
    verify: (token: string | undefined) => {
      verified++
      return clocked.verify(token)
    },
    cachedToken: (token: string) => clocked.cachedToken(token),
  }
  const kernel = createKernel({ logger: silentLogger, plugins: [auth({ verifier: clocked })] })
  kernel.add(shop)
  await kernel.start()
  const gateway = createGateway(kernel, {
    port: 0,
    routes: { 'POST /orders': 'shop.order' },
    auth: { verifier: counting },
  })
  const { port } = await gateway.listen()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.after(async () => {
    agent.destroy()
    await gateway.close()
    await kernel.stop()
  })
  const token = await sign(key, { sub: 'dana', exp: Math.floor(now / 1000) + 60 })
  const ports = new Set<number>()
  const order = () =>
    new Promise<{ status: number; by: unknown }>((resolve, reject) => {
      const req = request(
        `http://127.0.0.1:${port}/orders`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', ...bearer(token) },
        },
        (res) => {
          ports.add(res.socket.localPort ?? 0)
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
            resolve({ status: res.statusCode ?? 0, by: body.by ?? body.error?.data?.reason })
          })
        },
      )
      req.on('error', reject)
      req.end('{}')
    })

  assert.deepEqual(await order(), { status: 200, by: 'dana' })
  assert.deepEqual(await order(), { status: 200, by: 'dana' })
  assert.equal(verified, 1, 'verified once, then served from the cache and the connection')
  clocked.clearCache()
  assert.deepEqual(await order(), { status: 200, by: 'dana' })
  assert.equal(verified, 2, 'a cleared cache reaches what the connection kept: verified again')
  now += 61_000
  assert.deepEqual(await order(), { status: 401, by: 'expired' })
  assert.equal(ports.size, 1, 'every request went over one connection')
})
