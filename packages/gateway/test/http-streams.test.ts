import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { PlexusError, defineService } from '@plexus/kernel'
import { send, startGateway, startKernel } from './helpers.js'

/** Producer-side record: items made, whether the generator was closed and its signal aborted. */
const probe = { produced: 0, finished: 0, aborted: 0 }

const numbers = defineService({
  name: 'numbers',
  streams: {
    count: async function* (_ctx, { n }: { n: string }) {
      for (let i = 0; i < Number(n); i++) yield i
    },
    failing: async function* () {
      yield 1
      throw new PlexusError('UNAVAILABLE', 'the source went away')
    },
    endless: async function* (ctx) {
      try {
        for (;;) {
          probe.produced++
          yield { seq: probe.produced, pad: 'x'.repeat(16 * 1024) }
        }
      } finally {
        probe.finished++
        if (ctx.signal.aborted) probe.aborted++
      }
    },
  },
})

const routes = {
  'GET /api/count': { stream: 'numbers.count' },
  'GET /api/failing': { stream: 'numbers.failing' },
  'GET /api/endless': { stream: 'numbers.endless' },
  'GET /api/missing': { stream: 'nothing.here' },
}

test('a stream reaches HTTP clients as NDJSON by default', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, numbers), { routes })
  const res = await send(`${base}/api/count?n=4`)
  assert.equal(res.status, 200)
  assert.match(String(res.headers['content-type']), /application\/x-ndjson/)
  assert.equal(res.text, '0\n1\n2\n3\n')
})

test('a stream reaches HTTP clients as Server-Sent Events when they accept text/event-stream', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, numbers), { routes })
  const res = await send(`${base}/api/count?n=3`, { headers: { accept: 'text/event-stream' } })
  assert.match(String(res.headers['content-type']), /text\/event-stream/)
  assert.equal(res.text, 'data: 0\n\ndata: 1\n\ndata: 2\n\n')
})

test('an error before the first item keeps its status; one after it ends the stream with an error frame', async (t) => {
  const { base } = await startGateway(t, await startKernel(t, numbers), { routes })
  const missing = await send(`${base}/api/missing`)
  assert.equal(missing.status, 404)
  assert.equal(missing.json.error.code, 'NOT_FOUND')

  const ndjson = await send(`${base}/api/failing`)
  assert.equal(ndjson.status, 200)
  const lines = ndjson.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.deepEqual(lines, [1, { error: { code: 'UNAVAILABLE', message: 'the source went away' } }])
  const sse = await send(`${base}/api/failing`, { headers: { accept: 'text/event-stream' } })
  assert.match(sse.text, /^data: 1\n\nevent: error\ndata: \{"error":\{"code":"UNAVAILABLE"/)
})

/** Opens a stream and hands back the response without reading it. */
function open(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, resolve)
    req.on('error', reject)
    req.end()
  })
}

/** Waits until `read()` stops changing for `quiet` ms (or `limit` ms pass). */
async function settle(read: () => number, quiet = 300, limit = 5000): Promise<number> {
  let last = read()
  let still = 0
  for (let waited = 0; waited < limit && still < quiet; waited += 50) {
    await sleep(50)
    const now = read()
    still = now === last ? still + 50 : 0
    last = now
  }
  return last
}

test('a client that stops reading stops the producer (backpressure), and its disconnect closes the stream', async (t) => {
  const kernel = await startKernel(t, numbers)
  const { base, gateway } = await startGateway(t, kernel, { routes })
  probe.produced = 0
  probe.finished = 0
  probe.aborted = 0
  const res = await open(`${base}/api/endless`)
  res.pause()
  // With nothing read, production stalls once the socket buffers and the body's small buffer
  // are full: a bounded count, where an unbounded producer would run on forever.
  const stalled = await settle(() => probe.produced)
  assert.ok(stalled < 2_000, `producer ran ahead by ${stalled} items of 16 KiB`)
  assert.equal(gateway.stats().openStreams, 1)

  res.resume()
  await settle(() => probe.produced, 100, 300)
  assert.ok(probe.produced > stalled, 'reading again resumes the producer')

  res.destroy()
  await settle(() => probe.finished + gateway.stats().openStreams + kernel.openStreams)
  assert.equal(probe.finished, 1, "the producer's finally ran once")
  assert.equal(gateway.stats().openStreams, 0)
  assert.equal(kernel.openStreams, 0)
})

test('twenty clients that disconnect mid-stream leave no open stream behind', async (t) => {
  const kernel = await startKernel(t, numbers)
  const { base, gateway } = await startGateway(t, kernel, { routes })
  probe.finished = 0
  const responses = await Promise.all(Array.from({ length: 20 }, () => open(`${base}/api/endless`)))
  for (const res of responses) {
    await new Promise((resolve) => res.once('data', resolve))
    res.destroy()
  }
  await settle(() => probe.finished + gateway.stats().openStreams + kernel.openStreams)
  assert.equal(probe.finished, 20)
  assert.equal(gateway.stats().openStreams, 0)
  assert.equal(kernel.openStreams, 0)
})
