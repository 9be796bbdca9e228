import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import {
  createKernel,
  defineService,
  isPlexusError,
  silentLogger,
  type Context,
} from '@plexus/kernel'
import { natsStore } from '@plexus/kv'
import { dedup, DURABLE_META, durableEvents, durableInfo, eventStream } from '@plexus/nats'
import { rejectionOf, until } from '@plexus/testing'
import { durableNode, jetStreamServer, knows } from './durable-helpers.js'
import { skip } from './helpers.js'

/** A durable subscriber to `orders.created` that records each delivery's id and attempt. */
function recorder(name: string, seen: { id: string; delivery: number; n: number }[], knobs = {}) {
  return defineService({
    name,
    events: {
      'orders.created': {
        durable: { backoff: [20], ...knobs },
        handler: (ctx: Context, order: { n: number }) => {
          // A plain delivery (no durable info) is recorded too: it must never happen.
          const info = durableInfo(ctx)
          seen.push({ id: info?.id ?? 'plain', delivery: info?.delivery ?? 0, n: order.n })
        },
      },
    },
  })
}

test('without the plug-in a durable subscription is a plain event', async () => {
  const seen: number[] = []
  const kernel = createKernel({ logger: silentLogger }).add(
    defineService({
      name: 'shipping',
      events: {
        'orders.created': { durable: true, handler: (_ctx, o: { n: number }) => seen.push(o.n) },
      },
    }),
  )
  await kernel.start()
  kernel.emit('orders.created', { n: 1 })
  await kernel.stop()
  assert.deepEqual(seen, [1])
})

test(
  'a durable subscriber that was down handles every event emitted meanwhile, each once, after its restart',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const seen: { id: string; delivery: number; n: number }[] = []
    const publisher = await durableNode(t, url, 'p', [])
    const first = await durableNode(t, url, 's1', [recorder('shipping', seen)])
    await knows(publisher.plugin, 'orders.created')
    for (let n = 0; n < 10; n++) publisher.kernel.emit('orders.created', { n })
    await until('the first 10 handled', () => (seen.length >= 10 ? true : undefined))
    await first.kernel.stop()
    for (let n = 10; n < 60; n++) publisher.kernel.emit('orders.created', { n })
    await publisher.plugin.events!.flushed()
    assert.equal(seen.length, 10, 'nobody handled the events while shipping was down')
    const second = await durableNode(t, url, 's2', [recorder('shipping', seen)])
    await until('all 60 handled', () => (seen.length >= 60 ? true : undefined))
    await second.kernel.stop()
    assert.deepEqual(
      seen.map((s) => s.n).sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, n) => n),
    )
    assert.equal(new Set(seen.map((s) => s.id)).size, 60, 'one id per event')
    assert.equal(publisher.plugin.events!.outbox.published, 60)
    assert.equal(publisher.plugin.events!.outbox.pending, 0)
  },
)

test(
  'a failing handler is retried with its delivery count and dead-lettered with its error after the last attempt',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const nc = await connect({ servers: url })
    t.after(() => nc.close())
    const letters: { id: string; deliveries: number; error: { code: string; message: string } }[] =
      []
    nc.subscribe('plexus.test.dlq.billing', { callback: (_e, m) => void letters.push(m.json()) })
    const attempts = new Map<string, number[]>()
    const billing = defineService({
      name: 'billing',
      events: {
        'orders.created': {
          durable: { maxDeliveries: 3, backoff: [30, 60] },
          handler: (ctx: Context, order: { fail: number }) => {
            const { id, delivery } = durableInfo(ctx)!
            attempts.set(id, [...(attempts.get(id) ?? []), delivery])
            if (delivery <= order.fail) throw new Error(`card declined (attempt ${delivery})`)
          },
        },
      },
    })
    const node = await durableNode(t, url, 'b', [billing])
    node.kernel.emit('orders.created', { fail: 2 }, { meta: { [DURABLE_META.id]: 'heals' } })
    node.kernel.emit('orders.created', { fail: 99 }, { meta: { [DURABLE_META.id]: 'doomed' } })
    await until('the doomed event dead-lettered', () => (letters.length > 0 ? true : undefined))
    await until('the healing event handled', () =>
      node.plugin.events!.deliveries.handled >= 1 ? true : undefined,
    )
    assert.deepEqual(attempts.get('heals'), [1, 2, 3])
    assert.deepEqual(attempts.get('doomed'), [1, 2, 3])
    assert.equal(letters.length, 1)
    assert.equal(letters[0]!.id, 'doomed')
    assert.equal(letters[0]!.deliveries, 3)
    assert.equal(letters[0]!.error.code, 'HANDLER')
    assert.match(letters[0]!.error.message, /card declined \(attempt 3\)/)
    const { deliveries } = node.plugin.events!
    assert.deepEqual({ ...deliveries }, { handled: 1, retried: 4, deadLettered: 1 })
  },
)

test(
  'balanced: kernels hosting one service share its events, each handled once; broadcast: every kernel handles each',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const shared: { node: string; n: number }[] = []
    const everywhere: { node: string; n: number }[] = []
    const services = (node: string) => [
      defineService({
        name: 'stock',
        events: {
          'orders.created': {
            durable: true,
            handler: async (_ctx, o: { n: number }) => {
              await new Promise((resolve) => setTimeout(resolve, 2))
              shared.push({ node, n: o.n })
            },
          },
        },
      }),
      defineService({
        name: 'cache',
        events: {
          'orders.created': {
            durable: true,
            delivery: 'broadcast',
            handler: (_ctx, o: { n: number }) => void everywhere.push({ node, n: o.n }),
          },
        },
      }),
    ]
    const a = await durableNode(t, url, 'a', services('a'))
    await durableNode(t, url, 'b', services('b'))
    const total = 300
    for (let n = 0; n < total; n++) a.kernel.emit('orders.created', { n })
    await until('every event handled by stock and by cache on both nodes', () =>
      shared.length >= total && everywhere.length >= 2 * total ? true : undefined,
    )
    assert.deepEqual(
      shared.map((s) => s.n).sort((x, y) => x - y),
      Array.from({ length: total }, (_, n) => n),
      'stock: each event once across the two kernels',
    )
    assert.ok(shared.some((s) => s.node === 'a') && shared.some((s) => s.node === 'b'))
    for (const node of ['a', 'b']) {
      assert.equal(everywhere.filter((e) => e.node === node).length, total, `cache on ${node}`)
    }
  },
)

test(
  'ordered: events are handled one at a time in publish order, a failure retried in place',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const order: number[] = []
    let running = 0
    let overlap = 0
    let failed = false
    const ledger = defineService({
      name: 'ledger',
      events: {
        'orders.created': {
          durable: { ordered: true, backoff: [20] },
          handler: async (_ctx, o: { n: number }) => {
            running++
            if (running > 1) overlap++
            await new Promise((resolve) => setTimeout(resolve, 1))
            running--
            if (o.n === 7 && !failed) {
              failed = true
              throw new Error('transient')
            }
            order.push(o.n)
          },
        },
      },
    })
    const node = await durableNode(t, url, 'l', [ledger])
    for (let n = 0; n < 40; n++) node.kernel.emit('orders.created', { n })
    await until('40 handled', () => (order.length >= 40 ? true : undefined))
    assert.ok(failed)
    assert.deepEqual(
      order,
      Array.from({ length: 40 }, (_, n) => n),
    )
    assert.equal(overlap, 0)
  },
)

test(
  'the same event id emitted twice is stored once; stop() drains the outbox',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const node = await durableNode(t, url, 'p', [], { topics: ['audit.>'] })
    for (let i = 0; i < 500; i++) node.kernel.emit('audit.login', { i })
    node.kernel.emit('audit.login', { i: 'x' }, { meta: { [DURABLE_META.id]: 'same' } })
    node.kernel.emit('audit.login', { i: 'y' }, { meta: { [DURABLE_META.id]: 'same' } })
    await node.kernel.stop()
    assert.equal(node.plugin.events!.outbox.pending, 0)
    assert.equal(node.plugin.events!.outbox.duplicates, 1)
    const nc = await connect({ servers: url })
    t.after(() => nc.close())
    const jsm = await jetstreamManager(nc)
    const info = await jsm.streams.info(eventStream('test'))
    assert.equal(info.state.messages, 501)
  },
)

test(
  'emits during a server outage are published once it is back; a full outbox refuses emit with OVERLOADED',
  { skip },
  async (t) => {
    const server = await jetStreamServer(t)
    const node = await durableNode(t, server.url, 'p', [], {
      topics: ['audit.>'],
      outboxLimit: 20,
      publishTimeout: 500,
    })
    await server.stop()
    for (let i = 0; i < 20; i++) node.kernel.emit('audit.login', { i })
    const refused = (() => {
      try {
        node.kernel.emit('audit.login', { i: 20 })
      } catch (error) {
        return error
      }
    })()
    assert.ok(isPlexusError(refused))
    assert.equal(refused.code, 'OVERLOADED')
    assert.equal(node.plugin.events!.outbox.pending, 20)
    await server.start()
    await node.plugin.events!.flushed()
    const { outbox } = node.plugin.events!
    assert.equal(outbox.pending, 0)
    assert.ok(outbox.retries > 0, 'publishes failed while the server was down and were retried')
    const nc = await connect({ servers: server.url })
    t.after(() => nc.close())
    const info = await (await jetstreamManager(nc)).streams.info(eventStream('test'))
    assert.equal(info.state.messages, 20, 'each event stored once, retries deduplicated')
  },
)

test(
  'features nats-server 2.9 would ignore are refused naming the version they need',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [durableEvents({ servers: url, namespace: 'test', messageTtl: 5000 })],
    })
    const error = await rejectionOf(kernel.start())
    assert.ok(isPlexusError(error))
    assert.equal(error.code, 'INVALID_ARGUMENT')
    assert.match(error.message, /messageTtl needs nats-server 2\.11\.0/)
    assert.equal((error.data as { needs: string }).needs, '2.11.0')
    const node = await durableNode(t, url, 'a', [recorder('shipping', [])])
    const minor = Number(node.plugin.events!.serverVersion.split('.')[1])
    if (minor >= 11) return t.skip('the server is 2.11 or newer')
    const paused = await rejectionOf(
      node.plugin.events!.pause('shipping', 'orders.created', new Date(Date.now() + 60_000)),
    )
    assert.ok(isPlexusError(paused))
    assert.equal(paused.code, 'INVALID_ARGUMENT')
    assert.match(paused.message, /consumerPause needs nats-server 2\.11\.0 .*this server is 2\.9/)
  },
)

test(
  'the dedup helper lets one delivery per event claim it, across redeliveries and duplicate publishes',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const store = natsStore({ servers: url, bucket: 'dedup_test' })
    await store.open()
    t.after(() => store.close())
    const seen = dedup(store)
    const effects: string[] = []
    let claims = 0
    const mailer = defineService({
      name: 'mailer',
      events: {
        'orders.created': {
          durable: { backoff: [10] },
          handler: async (ctx: Context, o: { to: string }) => {
            const first = await seen.claim(ctx)
            claims++
            if (first) effects.push(o.to)
            // The first delivery fails after its side effect: the redelivery must not repeat it.
            if (durableInfo(ctx)!.delivery === 1) throw new Error('lost the ack')
          },
        },
      },
    })
    const node = await durableNode(t, url, 'm', [mailer])
    for (const to of ['ada', 'grace', 'ada-again'])
      node.kernel.emit('orders.created', { to }, { meta: { [DURABLE_META.id]: `mail-${to}` } })
    await until('every mail handled', () =>
      node.plugin.events!.deliveries.handled >= 3 ? true : undefined,
    )
    assert.equal(claims, 6, 'each event delivered twice')
    assert.deepEqual(effects.sort(), ['ada', 'ada-again', 'grace'])
    const withTtl = await rejectionOf(
      dedup(store, { ttl: 60_000 }).claim({
        service: 'mailer',
        action: 'orders.created',
        meta: { [DURABLE_META.id]: 'x', [DURABLE_META.delivery]: 1 },
      } as unknown as Context),
    )
    assert.ok(isPlexusError(withTtl))
    assert.equal(withTtl.code, 'INVALID_ARGUMENT', 'a per-key TTL needs 2.11: refused, not ignored')
  },
)

test(
  'an emit from a durable handler does not pass its delivery keys on to plain subscribers',
  { skip },
  async (t) => {
    const { url } = await jetStreamServer(t)
    const metas: Record<string, unknown>[] = []
    const relay = defineService({
      name: 'relay',
      events: {
        'orders.created': { durable: true, handler: (ctx) => ctx.emit('orders.relayed', 1) },
        'orders.relayed': (ctx) => void metas.push({ ...ctx.meta }),
      },
    })
    await durableNode(t, url, 'r', [relay]).then(({ kernel }) => kernel.emit('orders.created', {}))
    await until('the relayed event', () => (metas.length > 0 ? true : undefined))
    assert.equal(metas[0]![DURABLE_META.delivery], undefined)
    assert.equal(metas[0]![DURABLE_META.id], undefined)
  },
)
