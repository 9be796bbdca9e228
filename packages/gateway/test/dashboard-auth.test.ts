// The dashboard behind the gateway's verifier: with `auth`, its page, snapshot and live socket
// need a verified token (or the fixed `token`), `viewers` narrows who, `public` opens it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { defineService } from '@plexus/kernel'
import { createVerifier, devKeys, type DevKeys } from '@plexus/auth'
import { until } from '@plexus/testing'
import type { GatewayOptions } from '@plexus/gateway'
import { send, startGateway, startKernel } from './helpers.js'

const echo = defineService({ name: 'echo', actions: { say: (_ctx, text: string) => text } })

async function keysFor(t: { after(fn: () => Promise<void>): void }): Promise<DevKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-dash-auth-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return devKeys(join(dir, 'keys.json'), { audience: 'dash' })
}

async function start(
  t: { after(fn: () => Promise<void> | void): void },
  keys: DevKeys,
  dashboard: NonNullable<GatewayOptions['dashboard']>,
) {
  const kernel = await startKernel(t, echo)
  const verifier = createVerifier(keys.verifierOptions())
  const { base } = await startGateway(t, kernel, {
    routes: { 'GET /say': 'echo.say' },
    auth: { verifier },
    dashboard,
  })
  return `${base}/_plexus`
}

function opens(url: string): Promise<{ status: number } | { socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.once('open', () => resolve({ socket }))
    socket.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0 })
    })
    socket.once('error', reject)
  })
}

test('with edge auth the dashboard, its snapshot and its socket need a verified token or the fixed one', async (t) => {
  const keys = await keysFor(t)
  const dash = await start(t, keys, { token: 'fixed-admin-token' })
  const token = await keys.sign({ sub: 'olga' })
  for (const path of ['', '/snapshot', `?access_token=${token.slice(0, -3)}xyz`]) {
    const answer = await send(`${dash}${path}`)
    assert.equal(answer.status, 401, path)
    assert.equal(answer.json.error.code, 'UNAUTHORIZED')
    assert.equal(answer.headers['www-authenticate'], 'Bearer')
  }
  assert.deepEqual(await opens(`${dash.replace('http', 'ws')}/live`), { status: 401 })

  assert.equal((await send(`${dash}?access_token=${token}`)).status, 200)
  assert.equal((await send(`${dash}?token=${token}`)).status, 200)
  assert.equal((await send(`${dash}?token=fixed-admin-token`)).status, 200)
  const snapshot = await send(`${dash}/snapshot`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(snapshot.status, 200)
  assert.deepEqual(
    snapshot.json.services.map((s: { name: string }) => s.name),
    ['echo'],
  )
  const live = await opens(`${dash.replace('http', 'ws')}/live?access_token=${token}`)
  assert.ok('socket' in live)
  live.socket.close()
})

test('viewers narrows the dashboard to a rule: others get 403 FORBIDDEN', async (t) => {
  const keys = await keysFor(t)
  const dash = await start(t, keys, { viewers: { roles: ['ops'] } })
  const customer = await send(
    `${dash}?access_token=${await keys.sign({ sub: 'cy', roles: ['customer'] })}`,
  )
  assert.equal(customer.status, 403)
  assert.equal(customer.json.error.code, 'FORBIDDEN')
  assert.equal(customer.json.error.data.sub, 'cy')
  assert.equal(
    (await send(`${dash}?access_token=${await keys.sign({ roles: ['ops'] })}`)).status,
    200,
  )
})

test('public opens the dashboard to anyone, as plexus dev does', async (t) => {
  const keys = await keysFor(t)
  const dash = await start(t, keys, { public: true })
  assert.equal((await send(dash)).status, 200)
  assert.equal((await send(`${dash}/snapshot`)).status, 200)
  const live = await opens(`${dash.replace('http', 'ws')}/live`)
  assert.ok('socket' in live)
  live.socket.close()
})

test('a live dashboard socket is closed with 1008 when its token expires', async (t) => {
  const keys = await keysFor(t)
  const dash = await start(t, keys, true)
  const token = await keys.sign({ sub: 'brief', ttl: 2 })
  const live = await opens(`${dash.replace('http', 'ws')}/live?access_token=${token}`)
  assert.ok('socket' in live)
  let code: number | undefined
  live.socket.once('close', (c) => (code = c))
  assert.equal(await until('the socket closed', () => code, { ms: 15_000 }), 1008)
})
