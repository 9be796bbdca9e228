// The OpenAPI document generated from the route table and the actions' Standard Schemas.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { z } from 'zod'
import { defineService, type StandardSchemaV1 } from '@plexus/kernel'
import { send, sendJson, startGateway, startKernel } from './helpers.js'

let placed = 0
// A conforming validator that cannot describe itself as JSON Schema.
const opaque: StandardSchemaV1<unknown, { n: number }> = {
  '~standard': {
    version: 1,
    vendor: 'hand-written',
    validate: (value) =>
      typeof (value as { n?: unknown })?.n === 'number'
        ? { value: value as { n: number } }
        : { issues: [{ message: 'n must be a number', path: ['n'] }] },
  },
}

const Item = z.object({ sku: z.string().min(1), qty: z.number().int().positive() })
const orders = defineService({
  name: 'orders',
  version: 3,
  actions: {
    place: {
      input: z.object({ user: z.string().min(1), items: z.array(Item).min(1).max(50) }),
      output: z.object({ id: z.string(), total: z.number() }),
      handler: () => ({ id: `o-${++placed}`, total: 10 }),
    },
    get: {
      input: z.object({ id: z.string().regex(/^o-\d+$/) }),
      handler: (_ctx, { id }) => ({ id }),
    },
    list: () => [],
    count: { input: opaque, handler: (_ctx, { n }) => n },
  },
  streams: {
    tail: async function* () {
      yield 1
    },
  },
})

const routes = {
  'POST /api/orders': { action: 'orders.place', status: 201 },
  'GET /api/orders/:id': 'orders.get',
  'GET /api/orders': 'orders.list',
  'PUT /api/count': 'orders.count',
  'GET /api/tail': { stream: 'orders.tail' },
}

describe('OpenAPI', () => {
  it('describes every route, with the JSON Schema of each action that declares one', async (t) => {
    const kernel = await startKernel(t, orders)
    const { base } = await startGateway(t, kernel, {
      routes,
      openapi: { title: 'Shop', version: '1.2.3' },
    })
    const answer = await send(`${base}/openapi.json`)
    assert.equal(answer.status, 200)
    assert.match(String(answer.headers['content-type']), /^application\/json/)
    const doc = answer.json
    assert.equal(doc.openapi, '3.1.0')
    assert.deepEqual(doc.info, { title: 'Shop', version: '1.2.3' })
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(
      ([path, ops]) =>
        Object.entries(ops).map(
          ([method, op]) => `${method.toUpperCase()} ${path} ${op['x-plexus-address']}`,
        ),
    )
    assert.deepEqual(operations.sort(), [
      'GET /api/orders orders.list',
      'GET /api/orders/{id} orders.get',
      'GET /api/tail orders.tail',
      'POST /api/orders orders.place',
      'PUT /api/count orders.count',
    ])

    const place = doc.paths['/api/orders'].post
    const body = place.requestBody.content['application/json'].schema
    assert.equal(place.requestBody.required, true)
    assert.deepEqual(body.required, ['user', 'items'])
    assert.equal(body.properties.items.maxItems, 50)
    assert.deepEqual(Object.keys(place.responses).sort(), ['201', '422', 'default'])
    assert.deepEqual(place.responses['201'].content['application/json'].schema.required, [
      'id',
      'total',
    ])
    // The document's schema and the validator agree on what is valid.
    const ajv = new Ajv2020({ strict: false })
    const valid = ajv.compile(body)
    assert.equal(valid({ user: 'ada', items: [{ sku: 'tea', qty: 2 }] }), true)
    assert.equal(valid({ user: 'ada', items: [{ sku: 'tea', qty: 0 }] }), false)
    assert.equal(valid({ user: '', items: [] }), false)

    const get = doc.paths['/api/orders/{id}'].get
    assert.deepEqual(get.parameters, [
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^o-\\d+$' } },
    ])
    const list = doc.paths['/api/orders'].get
    assert.equal(list.parameters, undefined)
    assert.deepEqual(Object.keys(list.responses).sort(), ['200', 'default'])
    const count = doc.paths['/api/count'].put
    assert.deepEqual(
      count.requestBody.content['application/json'].schema,
      {},
      'no JSON Schema from this validator',
    )
    assert.ok('422' in count.responses === false)
    assert.ok('application/x-ndjson' in doc.paths['/api/tail'].get.responses['200'].content)
  })

  it('refuses bad input with VALIDATION before the handler runs', async (t) => {
    const kernel = await startKernel(t, orders)
    const { base } = await startGateway(t, kernel, { routes, openapi: true })
    const before = placed
    const bad = await sendJson(`${base}/api/orders`, 'POST', {
      user: 'ada',
      items: [{ sku: 'tea', qty: 0 }],
    })
    assert.equal(bad.status, 422)
    assert.equal(bad.json.error.code, 'VALIDATION')
    assert.deepEqual(bad.json.error.data.issues[0].path, ['items', '0', 'qty'])
    assert.equal(placed, before, 'the handler never ran')
    const badId = await send(`${base}/api/orders/nope`)
    assert.deepEqual([badId.status, badId.json.error.code], [422, 'VALIDATION'])
    const good = await sendJson(`${base}/api/orders`, 'POST', {
      user: 'ada',
      items: [{ sku: 'tea', qty: 1 }],
    })
    assert.equal(good.status, 201)
    assert.equal(placed, before + 1)
  })

  it('serves a readable page listing every route, and nothing when off', async (t) => {
    const kernel = await startKernel(t, orders)
    const on = await startGateway(t, kernel, { routes, openapi: true })
    const page = await send(`${on.base}/docs`)
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    for (const path of ['/api/orders', '/api/orders/{id}', '/api/count', '/api/tail'])
      assert.ok(page.text.includes(`<code>${path}</code>`), path)
    assert.match(page.text, /&#34;maxItems&#34;: 50/)
    const off = await startGateway(t, kernel, { routes })
    assert.equal((await send(`${off.base}/openapi.json`)).status, 404)
  })
})
