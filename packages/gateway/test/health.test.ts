// Health probes and the edge's half of a graceful stop, through real HTTP requests.
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { describe, it } from 'node:test'
import { defineService } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { send, sendJson, startGateway, startKernel } from './helpers.js'

/** A gate the test opens: every `hold` call waits for it. */
function gate() {
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  let waiting = 0
  const service = defineService({
    name: 'slow',
    actions: {
      hold: async (_ctx, input: { n?: number } = {}) => {
        waiting++
        await opened
        return { done: input.n ?? 0 }
      },
      fast: () => 'fast',
    },
  })
  return { service, open, waiting: () => waiting }
}

describe('health probes', () => {
  it('/healthz answers 200 alive; /readyz 200 ready while every service runs', async (t) => {
    const kernel = await startKernel(t, gate().service)
    const { base } = await startGateway(t, kernel)
    const live = await send(`${base}/healthz`)
    assert.deepEqual([live.status, live.json], [200, { status: 'alive' }])
    const ready = await send(`${base}/readyz`)
    assert.deepEqual([ready.status, ready.json], [200, { status: 'ready' }])
  })

  it('/readyz answers 503 naming a service that has no running instance yet', async (t) => {
    const kernel = await startKernel(t, gate().service)
    const { base } = await startGateway(t, kernel)
    let started: () => void = () => {}
    const starting = kernel.add(
      defineService({
        name: 'late',
        started: () => new Promise<void>((resolve) => (started = resolve)),
        actions: { hi: () => 'hi' },
      }),
    )
    void starting
    const notReady = await until('late to be starting', async () => {
      const answer = await send(`${base}/readyz`)
      return answer.status === 503 ? answer : undefined
    })
    assert.deepEqual(notReady.json, {
      status: 'not ready',
      reasons: ["service 'late' has no running instance"],
    })
    started()
    await until('late to run', async () =>
      (await send(`${base}/readyz`)).status === 200 ? true : undefined,
    )
  })

  it("/readyz answers 503 with a plug-in's reason while its readiness check objects", async (t) => {
    const kernel = await startKernel(t, gate().service)
    const { base } = await startGateway(t, kernel)
    let down = true
    const remove = kernel.readinessCheck(() => (down ? 'the broker connection is down' : undefined))
    const notReady = await send(`${base}/readyz`)
    assert.deepEqual(
      [notReady.status, notReady.json],
      [503, { status: 'not ready', reasons: ['the broker connection is down'] }],
    )
    down = false
    assert.equal((await send(`${base}/readyz`)).status, 200)
    down = true
    remove()
    assert.equal((await send(`${base}/readyz`)).status, 200, 'a removed check says nothing')
  })

  it('can be turned off or moved', async (t) => {
    const kernel = await startKernel(t, gate().service)
    const off = await startGateway(t, kernel, { health: false })
    assert.equal((await send(`${off.base}/healthz`)).status, 404)
    const moved = await startGateway(t, kernel, { health: { live: '/live', ready: '/ready' } })
    assert.equal((await send(`${moved.base}/live`)).status, 200)
    assert.equal((await send(`${moved.base}/ready`)).status, 200)
  })
})

describe('draining the edge', () => {
  it('turns readiness false, refuses new requests with 503 UNAVAILABLE, and completes every accepted one', async (t) => {
    const slow = gate()
    const kernel = await startKernel(t, slow.service)
    const { gateway, base } = await startGateway(t, kernel, {
      routes: { 'POST /hold': 'slow.hold', 'GET /fast': 'slow.fast' },
    })
    const held = Array.from({ length: 5 }, (_, n) => sendJson(`${base}/hold`, 'POST', { n }))
    await until('5 requests held in the handler', () => (slow.waiting() === 5 ? true : undefined))
    let drained = false
    const draining = gateway.drain(30_000).then(() => (drained = true))
    assert.equal(gateway.draining, true)
    const ready = await send(`${base}/readyz`)
    assert.deepEqual([ready.status, ready.json?.reasons], [503, ['the gateway is draining']])
    const refused = await send(`${base}/fast`)
    assert.equal(refused.status, 503)
    assert.equal(refused.json.error.code, 'UNAVAILABLE')
    assert.match(refused.json.error.message, /The gateway is draining; not accepting GET \/fast/)
    assert.equal(refused.headers.connection, 'close')
    assert.equal((await send(`${base}/healthz`)).status, 200, 'still alive while draining')
    assert.equal(drained, false, 'the drain waits for the accepted requests')
    slow.open()
    const answers = await Promise.all(held)
    assert.deepEqual(
      answers.map((a) => [a.status, a.json.done]),
      [0, 1, 2, 3, 4].map((n) => [200, n]),
    )
    await draining
    assert.equal(drained, true)
  })

  it('serves a request the edge accepted before the drain even when its body arrives after', async (t) => {
    const slow = gate()
    slow.open()
    const kernel = await startKernel(t, slow.service)
    const { gateway, base, port } = await startGateway(t, kernel, {
      routes: { 'POST /hold': 'slow.hold' },
    })
    // The head is sent, the body not yet: the gateway has accepted the request, the kernel
    // has not seen it.
    const body = JSON.stringify({ n: 7 })
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/hold',
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        },
      )
      req.on('error', reject)
      req.flushHeaders()
      void until('the request to be accepted', () =>
        gateway.stats().inFlight === 1 ? true : undefined,
      ).then(async () => {
        const draining = gateway.drain(30_000)
        assert.equal((await send(`${base}/readyz`)).status, 503)
        req.end(body)
        await draining
      }, reject)
    })
    const { status, text } = await answer
    assert.deepEqual([status, JSON.parse(text)], [200, { done: 7 }])
  })
})
