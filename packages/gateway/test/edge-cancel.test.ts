import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { defineService } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { startGateway, startKernel } from './helpers.js'

/** A service whose `wait` hangs until its caller cancels, recording what it saw. */
function probeService() {
  const probe = { started: 0, aborted: [] as unknown[] }
  const service = defineService({
    name: 'probe',
    actions: {
      ping: () => ({ pong: true }),
      wait: (ctx) =>
        new Promise((_resolve, reject) => {
          probe.started++
          ctx.signal.addEventListener('abort', () => {
            probe.aborted.push((ctx.signal.reason as { code?: string } | undefined)?.code)
            reject(ctx.signal.reason)
          })
        }),
    },
  })
  return { probe, service }
}

const routes = { 'GET /api/ping': 'probe.ping', 'GET /api/wait': 'probe.wait' }

function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('a client that disconnects mid-call cancels the call, and its request stops counting as in flight', async (t) => {
  const { probe, service } = probeService()
  const { base, gateway } = await startGateway(t, await startKernel(t, service), { routes })
  const req = request(`${base}/api/wait`, { agent: false })
  req.on('error', () => {})
  req.end()
  await until('the call to start', () => (probe.started === 1 ? true : undefined))
  assert.deepEqual(probe.aborted, [], 'nothing cancelled while the client waits')
  req.destroy()
  await until('the call to be cancelled', () => (probe.aborted.length === 1 ? true : undefined))
  assert.deepEqual(probe.aborted, ['CANCELLED'])
  await until('the request to leave the in-flight count', () =>
    gateway.stats().inFlight === 0 ? true : undefined,
  )
  assert.equal(gateway.stats().requests, 1)
})

test('requests on one keep-alive connection each answer; its close cancels only the call in flight', async (t) => {
  const { probe, service } = probeService()
  const { base, gateway } = await startGateway(t, await startKernel(t, service), { routes })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.after(() => agent.destroy())
  const sockets = new Set<unknown>()
  gateway.server.on('connection', (socket) => sockets.add(socket))
  for (let i = 0; i < 200; i++) {
    const answer = await get(`${base}/api/ping`, agent)
    assert.deepEqual([answer.status, answer.body], [200, '{"pong":true}'])
  }
  assert.equal(sockets.size, 1, 'the 200 requests shared one connection')
  assert.deepEqual(probe.aborted, [], 'finished requests cancel nothing')
  const pending = get(`${base}/api/wait`, agent).catch((error: Error) => error)
  await until('the call to start', () => (probe.started === 1 ? true : undefined))
  agent.destroy()
  await until('the call to be cancelled', () => (probe.aborted.length === 1 ? true : undefined))
  assert.deepEqual(probe.aborted, ['CANCELLED'])
  assert.ok((await pending) instanceof Error, 'the client saw its connection end')
})
