import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PlexusError, defineService } from '@plexus/kernel'
import { send, startGateway, startKernel } from './helpers.js'

// One action that fails with the code named in the path.
const svc = defineService({
  name: 'svc',
  actions: {
    fail: (_ctx, { code }: { code: string }) => {
      if (code === 'PLAIN') throw new Error('secret database password in this message')
      if (code === 'HANDLER') {
        throw new PlexusError('HANDLER', 'TypeError: x is undefined at /srv/app.js:12')
      }
      throw new PlexusError(code as 'NOT_FOUND', `failed with ${code}`, { data: { seen: code } })
    },
  },
})

const routes = { 'GET /fail/:code': { action: 'svc.fail', input: ['params' as const] } }

const expected: Array<[string, number]> = [
  ['VALIDATION', 422],
  ['NOT_FOUND', 404],
  ['UNAUTHORIZED', 401],
  ['FORBIDDEN', 403],
  ['TIMEOUT', 504],
  ['UNAVAILABLE', 503],
  ['OVERLOADED', 429],
  ['CIRCUIT_OPEN', 503],
]

test('each error code is answered with its HTTP status and a { error: { code, message, data } } body', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, svc), { routes })
  for (const [code, status] of expected) {
    const res = await send(`${base}/fail/${code}`)
    assert.equal(res.status, status, code)
    assert.match(String(res.headers['content-type']), /application\/json/)
    assert.deepEqual(res.json, {
      error: { code, message: `failed with ${code}`, data: { seen: code } },
    })
  }
})

test('retryable shedding and unavailability carry Retry-After', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, svc), { routes })
  assert.equal((await send(`${base}/fail/OVERLOADED`)).headers['retry-after'], '1')
  assert.equal((await send(`${base}/fail/UNAVAILABLE`)).headers['retry-after'], '1')
  assert.equal((await send(`${base}/fail/NOT_FOUND`)).headers['retry-after'], undefined)
})

test('the status table can be overridden per code (OVERLOADED as 503)', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, svc), {
    routes,
    statuses: { OVERLOADED: 503 },
  })
  assert.equal((await send(`${base}/fail/OVERLOADED`)).status, 503)
})

test('handler failures and untyped errors answer 500 without their message or a stack trace', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, svc), { routes })
  for (const code of ['HANDLER', 'PLAIN']) {
    const res = await send(`${base}/fail/${code}`, { headers: { 'x-request-id': 'req-42' } })
    assert.equal(res.status, 500)
    assert.equal(res.json.error.code, 'HANDLER')
    assert.match(res.json.error.message, /req-42/)
    assert.doesNotMatch(res.text, /secret|app\.js|TypeError|at /)
    assert.equal(res.json.error.data, undefined)
  }
})

test('a result JSON cannot write (a BigInt, a cycle) answers 500 HANDLER, and the gateway serves on', async (t) => {
  const cycle: unknown[] = []
  cycle.push(cycle)
  const odd = defineService({
    name: 'odd',
    actions: {
      big: () => 1n,
      inObject: () => ({ n: 1n }),
      cycle: () => cycle,
      ok: () => ({ ok: true }),
    },
  })
  const { base } = await startGateway(t, await startKernel(t, odd), {
    routes: {
      'GET /big': 'odd.big',
      'GET /in-object': 'odd.inObject',
      'GET /cycle': 'odd.cycle',
      'GET /ok': 'odd.ok',
    },
  })
  for (const path of ['/big', '/in-object', '/cycle']) {
    const res = await send(`${base}${path}`)
    assert.equal(res.status, 500, path)
    assert.equal(res.json.error.code, 'HANDLER', path)
    assert.doesNotMatch(res.text, /BigInt|circular|at /i, path)
  }
  assert.deepEqual((await send(`${base}/ok`)).json, { ok: true })
})

test('an unrouted path answers 404 NOT_FOUND when no legacy upstream is configured', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, svc), { routes })
  const res = await send(`${base}/api/admin/secrets`)
  assert.equal(res.status, 404)
  assert.equal(res.json.error.code, 'NOT_FOUND')
  assert.match(res.json.error.message, /GET \/api\/admin\/secrets/)
})
