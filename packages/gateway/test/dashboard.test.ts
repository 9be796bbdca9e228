import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defineService } from '@plexus/kernel'
import type { DashboardSnapshot } from '@plexus/gateway'
import { send, startGateway, startKernel } from './helpers.js'
import { TestClient } from './ws-client.js'

const greeter = defineService({
  name: 'greeter',
  actions: {
    hello: (ctx, { name }: { name: string }) => (ctx.emit('greeted.once', { name }), `hi ${name}`),
  },
})
const routes = { 'GET /api/hello/:name': 'greeter.hello' }

test('the dashboard is off by default outside development', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, greeter), { routes })
  assert.equal((await send(`${base}/_plexus`)).status, 404)
  assert.equal((await send(`${base}/_plexus/snapshot`)).status, 404)
})

test('behind a token, the page and its snapshot answer 401 without it and serve with it', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, greeter), {
    routes,
    dashboard: { token: 's3cret' },
  })
  assert.equal((await send(`${base}/_plexus`)).status, 401)
  assert.equal((await send(`${base}/_plexus?token=wrong`)).json.error.code, 'UNAUTHORIZED')
  const page = await send(`${base}/_plexus?token=s3cret`)
  assert.equal(page.status, 200)
  assert.match(String(page.headers['content-type']), /text\/html/)
  assert.match(page.text, /<title>Plexus<\/title>/)
  const bearer = await send(`${base}/_plexus/snapshot`, {
    headers: { authorization: 'Bearer s3cret' },
  })
  assert.equal(bearer.status, 200)
})

test('the snapshot lists services, instances and their figures, gateway figures and recent events', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, greeter), { routes, dashboard: true })
  for (let i = 0; i < 5; i++) await send(`${base}/api/hello/ada`)
  const snap = (await send(`${base}/_plexus/snapshot`)).json as DashboardSnapshot
  const svc = snap.services.find((s) => s.name === 'greeter')!
  assert.equal(svc.state, 'running')
  assert.equal(svc.instances[0]!.count, 5)
  assert.equal(svc.instances[0]!.placement, 'inline')
  assert.equal(snap.gateway.requests, 6)
  assert.equal(snap.kernel.state, 'running')
  assert.ok(snap.events.some((e) => e.text === 'greeted.once' && e.count === 5))
  assert.ok(
    snap.events.some((e) => e.kind === 'lifecycle' && e.text.startsWith('greeter@1 registered')),
  )
})

test('the live socket pushes snapshots on its interval', async (t) => {
  const { port } = await startGateway(t, await startKernel(t, greeter), {
    routes,
    dashboard: { interval: 50 },
  })
  const viewer = await TestClient.connect(`ws://127.0.0.1:${port}/_plexus/live`)
  t.after(() => viewer.close())
  await viewer.until((f) => f.length >= 3)
  assert.ok(viewer.frames.every((f) => f.type === 'snapshot' && Array.isArray(f.services)))
})

test('with trace links set, an event emitted inside a traced request carries its trace id', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, greeter), {
    routes,
    dashboard: { traceLinks: { trace: 'http://traces.test/trace/{traceId}' } },
  })
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  await send(`${base}/api/hello/ada`, {
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  })
  await send(`${base}/api/hello/bob`)
  const snap = (await send(`${base}/_plexus/snapshot`)).json as DashboardSnapshot
  const greeted = snap.events.filter((e) => e.text === 'greeted.once')
  assert.equal(
    greeted.reduce((n, e) => n + e.count, 0),
    2,
  )
  // Both land on one folded line (which keeps the traced event's id) unless a second passed.
  assert.ok(
    greeted.some((e) => e.traceId === traceId),
    JSON.stringify(greeted),
  )
  assert.ok(greeted.every((e) => e.traceId === undefined || e.traceId === traceId))
  const page = await send(`${base}/_plexus`)
  assert.match(page.text, /"trace":"http:\/\/traces\.test\/trace\/\{traceId\}"/)
})

test('without trace links, events carry no trace id', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, greeter), { routes, dashboard: true })
  await send(`${base}/api/hello/ada`, {
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  })
  const snap = (await send(`${base}/_plexus/snapshot`)).json as DashboardSnapshot
  const greeted = snap.events.find((e) => e.text === 'greeted.once')
  assert.ok(greeted !== undefined)
  assert.equal(greeted.traceId, undefined)
})

test('trace links must be http(s) templates with their placeholder', async (t) => {
  const kernel = await startKernel(t, greeter)
  for (const traceLinks of [
    { trace: 'javascript:alert(1)//{traceId}' },
    { trace: 'http://traces.test/trace/' },
    { trace: 'http://traces.test/trace/{traceId}', service: 'http://traces.test/search' },
  ]) {
    await assert.rejects(
      startGateway(t, kernel, { routes, dashboard: { traceLinks } }),
      (error: Error & { code?: string }) => error.code === 'INVALID_CONFIG',
      JSON.stringify(traceLinks),
    )
  }
})
