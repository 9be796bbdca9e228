import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defineService, type StandardSchemaV1 } from '@plexus/kernel'
import { createGateway } from '@plexus/gateway'
import { send, sendJson, startGateway, startKernel } from './helpers.js'

const positiveQty: StandardSchemaV1<unknown, { qty: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) =>
      typeof (v as { qty?: unknown }).qty === 'number' && (v as { qty: number }).qty > 0
        ? { value: v as { qty: number } }
        : { issues: [{ message: 'qty must be a positive number', path: ['qty'] }] },
  },
}

const seenMeta: Record<string, unknown>[] = []
const orders = defineService({
  name: 'orders',
  actions: {
    create: {
      input: positiveQty,
      handler: (ctx, input: { qty: number }) => {
        seenMeta.push(ctx.meta)
        return { created: input }
      },
    },
    get: (ctx, input: unknown) => {
      seenMeta.push(ctx.meta)
      return { input }
    },
    bulk: (_ctx, items: unknown[]) => ({ count: items.length }),
    forget: () => undefined,
    purge: () => 'everything is gone',
  },
})

const routes = {
  'POST /api/orders': { action: 'orders.create', status: 201 },
  'GET /api/orders/:id': 'orders.get',
  'PUT /api/orders/:id': 'orders.get',
  'POST /api/orders/bulk': { action: 'orders.bulk', input: ['body' as const] },
  'DELETE /api/orders/:id': 'orders.forget',
}

test('POST and GET aliases call their actions with params, query and body merged (params win)', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  const created = await sendJson(`${base}/api/orders`, 'POST', { qty: 2 })
  assert.equal(created.status, 201)
  assert.deepEqual(created.json, { created: { qty: 2 } })

  const got = await send(`${base}/api/orders/42?expand=items&id=spoofed`)
  assert.equal(got.status, 200)
  assert.deepEqual(got.json, { input: { expand: 'items', id: '42' } })

  const put = await sendJson(`${base}/api/orders/7?a=q`, 'PUT', { a: 'body', b: 1, id: 'x' })
  assert.deepEqual(put.json, { input: { a: 'body', b: 1, id: '7' } })
})

test('a route listing only the body passes a non-object body through as it is', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  const res = await sendJson(`${base}/api/orders/bulk`, 'POST', [1, 2, 3])
  assert.deepEqual(res.json, { count: 3 })
})

test('an action answering nothing gives 204 with no body', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  const res = await send(`${base}/api/orders/1`, { method: 'DELETE' })
  assert.equal(res.status, 204)
  assert.equal(res.text, '')
})

test('input rejected by the action schema answers 422 VALIDATION with the issues', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  const res = await sendJson(`${base}/api/orders`, 'POST', { qty: -1 })
  assert.equal(res.status, 422)
  assert.equal(res.json.error.code, 'VALIDATION')
  assert.match(JSON.stringify(res.json.error), /qty must be a positive number/)
})

test('malformed JSON answers 400 VALIDATION', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  const res = await sendJson(`${base}/api/orders`, 'POST', '{"qty": ')
  assert.equal(res.status, 400)
  assert.equal(res.json.error.code, 'VALIDATION')
})

test('actions that are not routed are unreachable, even when they exist', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, orders), { routes })
  for (const path of ['/api/orders/purge', '/orders/purge', '/orders.purge', '/$node/actions']) {
    const res = await sendJson(`${base}${path}`, 'POST', {})
    assert.equal(res.status, 404, path)
    assert.equal(res.json.error.code, 'NOT_FOUND')
  }
})

test('routes to internal addresses are refused at configuration unless exposeInternal is set', async (t) => {
  const kernel = await startKernel(t, orders)
  for (const address of ['$node.actions', 'orders._purge', '_admin.reset']) {
    assert.throws(
      () => createGateway(kernel, { routes: { 'GET /x': address } }),
      (e: any) => e.code === 'INVALID_ARGUMENT' && e.message.includes(address),
    )
  }
  assert.throws(
    () => createGateway(kernel, { routes: { 'FETCH /x': 'orders.get' } }),
    /Invalid route 'FETCH \/x'/,
  )
  const allowed = createGateway(kernel, {
    routes: { 'GET /x': '_admin.reset' },
    exposeInternal: true,
  })
  await allowed.close()
})

test('every answer carries a request id, which reaches ctx.meta; a caller-supplied one is kept', async (t) => {
  seenMeta.length = 0
  const { base } = await startGateway(t, await startKernel(t, orders), {
    routes,
    metaHeaders: ['X-Tenant'],
  })
  const fresh = await send(`${base}/api/orders/1`, { headers: { 'x-tenant': 'acme' } })
  const id = fresh.headers['x-request-id']
  assert.match(String(id), /^[0-9a-f-]{36}$/)
  assert.deepEqual(seenMeta[0], { requestId: id, headers: { 'x-tenant': 'acme' } })

  const kept = await send(`${base}/api/orders/1`, { headers: { 'x-request-id': 'trace-123' } })
  assert.equal(kept.headers['x-request-id'], 'trace-123')
  assert.equal(seenMeta[1]!['requestId'], 'trace-123')

  const unsafe = await send(`${base}/api/orders/1`, { headers: { 'x-request-id': 'a b<script>' } })
  assert.notEqual(unsafe.headers['x-request-id'], 'a b<script>')

  const missing = await send(`${base}/nowhere`)
  assert.match(String(missing.headers['x-request-id']), /^[0-9a-f-]{36}$/)
})

test('CORS is off by default and answers preflights for configured origins only', async (t) => {
  const kernel = await startKernel(t, orders)
  const closed = await startGateway(t, kernel, { routes })
  const plain = await send(`${closed.base}/api/orders/1`, {
    headers: { origin: 'https://shop.test' },
  })
  assert.equal(plain.headers['access-control-allow-origin'], undefined)

  const open = await startGateway(t, kernel, {
    routes,
    name: 'gateway2',
    cors: { origin: ['https://shop.test'] },
  })
  const preflight = await send(`${open.base}/api/orders`, {
    method: 'OPTIONS',
    headers: { origin: 'https://shop.test', 'access-control-request-method': 'POST' },
  })
  assert.equal(preflight.status, 204)
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.test')
  const other = await send(`${open.base}/api/orders/1`, {
    headers: { origin: 'https://evil.test' },
  })
  assert.notEqual(other.headers['access-control-allow-origin'], 'https://evil.test')
})
