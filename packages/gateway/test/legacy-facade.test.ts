import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineService } from '@plexus/kernel'
import { send, sendJson, startGateway, startKernel } from './helpers.js'

/** What the legacy application saw. */
interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** A real legacy HTTP application on a free loopback port, recording every request. */
async function startLegacy(
  t: { after(fn: () => Promise<void>): void },
  handle?: (req: IncomingMessage, res: import('node:http').ServerResponse, body: string) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (handle) return handle(req, res, body)
      res.writeHead(200, { 'content-type': 'application/json', 'x-legacy': 'yes' })
      res.end(JSON.stringify({ legacy: true, method: req.method, url: req.url, body }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, seen, server }
}

const orders = defineService({
  name: 'orders',
  actions: { get: (_ctx, input: unknown) => ({ from: 'plexus', address: 'orders.get', input }) },
})

test('routes with an alias go to the kernel; every other route is proxied to the legacy upstream', async (t) => {
  const legacy = await startLegacy(t)
  const { base } = await startGateway(t, await startKernel(t, orders), {
    routes: { 'GET /api/orders/:id': 'orders.get' },
    legacy: { upstream: legacy.url },
  })
  const migrated = await send(`${base}/api/orders/7`)
  assert.deepEqual(migrated.json, { from: 'plexus', address: 'orders.get', input: { id: '7' } })
  assert.equal(legacy.seen.length, 0)

  const old = await sendJson(`${base}/api/orders?page=2`, 'POST', { item: 'pen' })
  assert.equal(old.status, 200)
  assert.equal(old.headers['x-legacy'], 'yes')
  assert.deepEqual(old.json, {
    legacy: true,
    method: 'POST',
    url: '/api/orders?page=2',
    body: '{"item":"pen"}',
  })
  const seen = legacy.seen[0]!
  assert.equal(seen.headers['content-type'], 'application/json')
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.headers['x-request-id'], old.headers['x-request-id'])
})

test('proxied requests are counted per route', async (t) => {
  const legacy = await startLegacy(t)
  const { base, gateway } = await startGateway(t, await startKernel(t, orders), {
    routes: { 'GET /api/orders/:id': 'orders.get' },
    legacy: { upstream: legacy.url },
  })
  await send(`${base}/legacy/users`)
  await send(`${base}/legacy/users?x=1`)
  await send(`${base}/legacy/cart`, { method: 'DELETE' })
  await send(`${base}/api/orders/1`)
  const { proxied } = gateway.stats()
  assert.equal(proxied.total, 3)
  assert.deepEqual(proxied.routes, { 'GET /legacy/users': 2, 'DELETE /legacy/cart': 1 })
})

test('upstream status codes and bodies pass through unchanged, streamed', async (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024)
  const legacy = await startLegacy(t, (req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/html' })
      res.end('<h1>legacy 404</h1>')
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(big)
    }
  })
  const { base } = await startGateway(t, await startKernel(t, orders), {
    legacy: { upstream: legacy.url },
  })
  const missing = await send(`${base}/missing`)
  assert.equal(missing.status, 404)
  assert.equal(missing.text, '<h1>legacy 404</h1>')
  const large = await send(`${base}/report`)
  assert.equal(large.text.length, big.length)
})

test('a path that looks like another host stays on the configured upstream', async (t) => {
  const legacy = await startLegacy(t)
  const { base } = await startGateway(t, await startKernel(t, orders), {
    legacy: { upstream: legacy.url },
  })
  const res = await send(`${base}//example.invalid/steal`)
  assert.equal(res.status, 200)
  assert.equal(legacy.seen[0]!.url, '//example.invalid/steal')
})

test('an unreachable upstream answers 502 UNAVAILABLE; a silent one answers 504 TIMEOUT', async (t) => {
  const closed = await startLegacy(t)
  await new Promise<void>((resolve) => closed.server.close(() => resolve()))
  const down = await startGateway(t, await startKernel(t, orders), {
    legacy: { upstream: closed.url },
  })
  const res = await send(`${down.base}/anything`)
  assert.equal(res.status, 502)
  assert.equal(res.json.error.code, 'UNAVAILABLE')

  const silent = await startLegacy(t, () => {})
  const slow = await startGateway(t, await startKernel(t, orders), {
    legacy: { upstream: silent.url, timeout: 200 },
  })
  const late = await send(`${slow.base}/anything`)
  assert.equal(late.status, 504)
  assert.equal(late.json.error.code, 'TIMEOUT')
})

test('proxied bodies obey the body limit: 413 and nothing forwarded', async (t) => {
  const legacy = await startLegacy(t)
  const { base } = await startGateway(t, await startKernel(t, orders), {
    legacy: { upstream: legacy.url },
    bodyLimit: 1024,
  })
  const res = await send(`${base}/upload`, { method: 'POST', body: 'y'.repeat(2048) })
  assert.equal(res.status, 413)
  assert.equal(res.json.error.code, 'VALIDATION')
  assert.equal(legacy.seen.length, 0)
})
