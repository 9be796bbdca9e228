import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineService } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { SLOW_CONSUMER_CLOSE } from '@plexus/gateway'
import { startGateway, startKernel } from './helpers.js'
import { TestClient } from './ws-client.js'

const probe = { finished: 0, aborted: 0 }
const seenMeta: Record<string, unknown>[] = []

const shop = defineService({
  name: 'shop',
  actions: {
    price: (ctx, { sku }: { sku: string }) => {
      seenMeta.push(ctx.meta)
      return { sku, cents: 250 }
    },
    purge: () => 'gone',
  },
  streams: {
    ticks: async function* (ctx, { n }: { n: number }) {
      try {
        for (let i = 0; i < n; i++) {
          yield i
          await sleep(1)
        }
      } finally {
        probe.finished++
        if (ctx.signal.aborted) probe.aborted++
      }
    },
  },
})

const options = {
  routes: { 'GET /api/price/:sku': 'shop.price', 'GET /api/ticks': { stream: 'shop.ticks' } },
  websocket: { topics: ['orders.*', 'prices.eur'] },
}

async function setup(t: Parameters<typeof startKernel>[0], extra: object = {}) {
  const kernel = await startKernel(t, shop)
  const running = await startGateway(t, kernel, { ...options, ...extra })
  const connect = async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${running.port}/ws`)
    t.after(() => client.close())
    return client
  }
  return { kernel, ...running, connect }
}

test('WebSocket clients call routed actions; the answer echoes the id and meta carries the request id', async (t) => {
  const { connect } = await setup(t)
  const client = await connect()
  seenMeta.length = 0
  client.send({
    id: 1,
    type: 'call',
    action: 'shop.price',
    input: { sku: 'pen' },
    meta: { lang: 'fr' },
  })
  assert.deepEqual(await client.answer(1), {
    id: 1,
    type: 'result',
    data: { sku: 'pen', cents: 250 },
  })
  assert.equal(seenMeta[0]!['lang'], 'fr')
  assert.match(String(seenMeta[0]!['requestId']), /^[0-9a-f-]{36}$/)
})

test('actions that are not routed cannot be called over the WebSocket either', async (t) => {
  const { connect } = await setup(t)
  const client = await connect()
  client.send({ id: 'x', type: 'call', action: 'shop.purge' })
  const answer = await client.answer('x')
  assert.equal(answer.type, 'error')
  assert.equal(answer.error.code, 'NOT_FOUND')
})

test('malformed frames get PROTOCOL errors and the socket stays usable', async (t) => {
  const { connect } = await setup(t)
  const client = await connect()
  client.send('not json')
  client.send({ type: 'call' })
  client.send({ id: 2, type: 'launch' })
  await client.until((f) => f.length >= 3)
  assert.deepEqual(
    client.frames.map((f) => f.error.code),
    ['PROTOCOL', 'PROTOCOL', 'PROTOCOL'],
  )
  client.send({ id: 3, type: 'call', action: 'shop.price', input: { sku: 'a' } })
  assert.equal((await client.answer(3)).type, 'result')
})

test('stream items reach the WebSocket client, then an end frame', async (t) => {
  const { connect } = await setup(t)
  const client = await connect()
  client.send({ id: 's', type: 'stream', action: 'shop.ticks', input: { n: 5 } })
  await client.answer('s', 'end')
  const items = client.frames.filter((f) => f.id === 's' && f.type === 'item').map((f) => f.data)
  assert.deepEqual(items, [0, 1, 2, 3, 4])
})

test('cancelling a stream, or disconnecting, closes the producer and leaves no open stream', async (t) => {
  const { connect, kernel, gateway } = await setup(t)
  probe.finished = 0
  probe.aborted = 0
  const a = await connect()
  a.send({ id: 1, type: 'stream', action: 'shop.ticks', input: { n: 1e9 } })
  await a.until((f) => f.length >= 3)
  a.send({ id: 1, type: 'cancel' })
  await a.answer(1, 'error')

  const b = await connect()
  for (let i = 0; i < 10; i++)
    b.send({ id: i, type: 'stream', action: 'shop.ticks', input: { n: 1e9 } })
  await b.until((f) => new Set(f.map((x) => x.id)).size === 10)
  b.close()

  await until('all 11 producers to finish', () => (probe.finished >= 11 ? true : undefined))
  assert.equal(probe.finished, 11)
  assert.equal(kernel.openStreams, 0)
  assert.equal(gateway.stats().openStreams, 0)
})

test('clients subscribe to allowed topics and receive matching events; others are refused', async (t) => {
  const { connect, kernel } = await setup(t)
  const client = await connect()
  client.send({ id: 1, type: 'subscribe', topic: 'orders.*' })
  client.send({ id: 2, type: 'subscribe', topic: 'prices.eur' })
  client.send({ id: 3, type: 'subscribe', topic: 'users.created' })
  client.send({ id: 4, type: 'subscribe', topic: '>' })
  client.send({ id: 5, type: 'subscribe', topic: 'orders.>' })
  assert.equal((await client.answer(1)).type, 'subscribed')
  assert.equal((await client.answer(2)).type, 'subscribed')
  for (const id of [3, 4, 5]) assert.equal((await client.answer(id)).error.code, 'FORBIDDEN')

  kernel.emit('orders.created', { id: 1 })
  kernel.emit('users.created', { id: 2 })
  kernel.emit('prices.eur', { pen: 250 })
  kernel.emit('orders.paid', { id: 1 })
  const events = await client.until((f) => {
    const e = f.filter((x) => x.type === 'event')
    return e.length >= 3 && e
  })
  assert.deepEqual(
    events.map((e: any) => e.topic),
    ['orders.created', 'prices.eur', 'orders.paid'],
  )

  client.send({ id: 6, type: 'unsubscribe', topic: 'orders.*' })
  await client.answer(6)
  kernel.emit('orders.shipped', { id: 1 })
  kernel.emit('prices.eur', { pen: 260 })
  await client.until((f) => f.filter((x) => x.type === 'event').length >= 4)
  assert.equal(client.frames.filter((x) => x.topic === 'orders.shipped').length, 0)
})

test('a frame over the 1 MiB default closes the socket with 1009', async (t) => {
  const { connect } = await setup(t)
  const client = await connect()
  client.send('x'.repeat(1024 * 1024 + 1))
  assert.equal((await client.closedWith()).code, 1009)
})

test('T21: slow subscribers are cut off with a close code past the buffer bound; fast ones get every event', async (t) => {
  // Scaled to a 2-core machine: 24 subscribers, 4 of which never read, 600 events of 16 KiB,
  // a 256 KiB bound. Gates are counts.
  const { connect, kernel, gateway } = await setup(t, {
    websocket: { topics: ['feed.>'], maxBufferedBytes: 256 * 1024 },
  })
  const clients = await Promise.all(Array.from({ length: 24 }, () => connect()))
  const slow = clients.slice(0, 4)
  const fast = clients.slice(4)
  for (const c of clients) c.send({ id: 's', type: 'subscribe', topic: 'feed.>' })
  await Promise.all(clients.map((c) => c.answer('s')))
  for (const c of slow) c.socket.pause()

  const pad = 'x'.repeat(16 * 1024)
  const total = 600
  for (let sent = 0; sent < total;) {
    for (let i = 0; i < 20; i++) kernel.emit('feed.tick', { seq: sent++, pad })
    // Fast clients keep up by construction: the next batch waits for them, never for the slow.
    await Promise.all(
      fast.map((c) => c.until((f) => f.filter((x) => x.type === 'event').length >= sent, 10_000)),
    )
  }
  for (const c of fast) {
    const seqs = c.frames.filter((x) => x.type === 'event').map((x) => x.data.seq)
    assert.deepEqual(
      seqs,
      Array.from({ length: total }, (_, i) => i),
      'fast client got every event in order',
    )
  }
  const stats = gateway.stats()
  assert.equal(stats.slowClientsCut, 4)
  assert.ok(stats.droppedMessages >= 4, `dropped ${stats.droppedMessages}`)
  for (const c of slow) {
    c.socket.resume()
    const { code } = await c.closedWith(5000)
    assert.ok(code === SLOW_CONSUMER_CLOSE || code === 1006, `close code ${code}`)
  }
  assert.equal(fast.filter((c) => c.closed !== undefined).length, 0)
})
