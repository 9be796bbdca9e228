// Nothing a client sends to the gateway becomes `ctx.meta['plexus.principal']`: not a header,
// the query, the body, nor a WebSocket frame — with edge auth (only the verified token's
// principal gets in) and without any auth at all (the edge alone strips reserved keys).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { WebSocket } from 'ws'
import { createKernel, defineService, silentLogger, type Context } from '@plexus/kernel'
import { createGateway, type GatewayOptions } from '@plexus/gateway'
import { auth, PRINCIPAL_KEY } from '@plexus/auth'
import { rsaKey, sign, testVerifier } from './tokens.js'

const key = rsaKey('k1')
const verifier = testVerifier(key)

const forged = { sub: 'root', roles: ['admin'], scopes: [], tenant: 'all', iss: 'x', claims: {} }
const forgedText = JSON.stringify(forged)

// Reads the reserved key raw, not through principalOf: nothing at all may land there.
const probe = defineService({
  name: 'probe',
  actions: {
    who: (ctx: Context) => {
      const value = ctx.meta[PRINCIPAL_KEY] as { sub?: string } | undefined
      return { sub: value?.sub ?? null, headers: ctx.meta['headers'] ?? null }
    },
  },
  streams: {
    async *watch(ctx: Context) {
      yield { sub: (ctx.meta[PRINCIPAL_KEY] as { sub?: string } | undefined)?.sub ?? null }
    },
  },
})

const ROUTES = {
  'GET /who': 'probe.who',
  'POST /who': 'probe.who',
  'GET /watch': { stream: 'probe.watch' },
}

async function start(
  t: { after(fn: () => Promise<void>): void },
  withAuth: boolean,
): Promise<string> {
  const plugins = withAuth ? [auth({ verifier })] : []
  const kernel = createKernel({ logger: silentLogger, plugins }).add(probe)
  await kernel.start()
  const options: GatewayOptions = {
    port: 0,
    routes: ROUTES,
    // Even a header the config copies into meta lands under `headers`, never as the key itself.
    metaHeaders: [PRINCIPAL_KEY, 'x-plexus-principal'],
    websocket: { actions: ['probe.who'] },
    ...(withAuth ? { auth: { verifier, public: Object.keys(ROUTES), publicWebSocket: true } } : {}),
  }
  const gateway = createGateway(kernel, options)
  const { port } = await gateway.listen()
  t.after(async () => {
    await gateway.close()
    await kernel.stop()
  })
  return `127.0.0.1:${port}`
}

function http(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: { 'content-type': 'application/json', ...headers }, agent: false },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(text.split('\n')[0]!.replace(/^data: /, '')),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

/** Every way an HTTP client might try to name a principal, at once. */
const HEADERS = { [PRINCIPAL_KEY]: forgedText, 'x-plexus-principal': forgedText }
const QUERY = `?${encodeURIComponent(PRINCIPAL_KEY)}=${encodeURIComponent(forgedText)}&meta[${PRINCIPAL_KEY}]=root`
const BODY = { [PRINCIPAL_KEY]: forged, meta: { [PRINCIPAL_KEY]: forged } }

function frameCall(host: string, headers: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${host}/ws`, { headers })
    socket.once('error', reject)
    socket.once('open', () => {
      socket.send(
        JSON.stringify({
          id: 1,
          type: 'call',
          action: 'probe.who',
          input: BODY,
          meta: { [PRINCIPAL_KEY]: forged, headers: { [PRINCIPAL_KEY]: forgedText } },
        }),
      )
    })
    socket.once('message', (data: Buffer) => {
      socket.close()
      resolve(JSON.parse(data.toString('utf8')))
    })
  })
}

for (const withAuth of [false, true]) {
  const setup = withAuth ? 'with edge auth, no token' : 'without any auth'
  test(`${setup}: a principal in headers, query, body or a WebSocket frame never reaches the handler`, async (t) => {
    const host = await start(t, withAuth)
    const get = await http(`http://${host}/who${QUERY}`, 'GET', HEADERS)
    assert.equal(get.status, 200)
    assert.deepEqual(get.json, { sub: null, headers: HEADERS })
    const post = await http(`http://${host}/who${QUERY}`, 'POST', HEADERS, BODY)
    assert.deepEqual([post.status, post.json.sub], [200, null])
    const stream = await http(`http://${host}/watch${QUERY}`, 'GET', {
      ...HEADERS,
      accept: 'text/event-stream',
    })
    assert.deepEqual([stream.status, stream.json], [200, { sub: null }])
    const frame = await frameCall(host, HEADERS)
    assert.equal(frame.type, 'result', JSON.stringify(frame))
    assert.equal(frame.data.sub, null)
  })
}

test('with edge auth and a valid token, the principal is the token’s, whatever else the client sends', async (t) => {
  const host = await start(t, true)
  const bearer = { ...HEADERS, authorization: `Bearer ${await sign(key, { sub: 'dave' })}` }
  assert.equal((await http(`http://${host}/who${QUERY}`, 'POST', bearer, BODY)).json.sub, 'dave')
  const stream = await http(`http://${host}/watch${QUERY}`, 'GET', {
    ...bearer,
    accept: 'text/event-stream',
  })
  assert.deepEqual(stream.json, { sub: 'dave' })
  assert.equal((await frameCall(host, bearer)).data.sub, 'dave')
})
