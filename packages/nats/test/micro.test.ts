import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  createInbox,
  connect,
  headers,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node'
import { defineService, PlexusError, type Context } from '@plexus/kernel'
import { rejectionOf, until } from '@plexus/testing'
import { clusterNode, natsServer, skip } from './helpers.js'

/** A service with an answer, a typed refusal, a bug and a slow action. */
const orders = defineService({
  name: 'orders',
  actions: {
    create: (_ctx: Context, input: { item: string; qty: number }) => ({ id: 7, ...input }),
    refuse: () => {
      throw new PlexusError('VALIDATION', 'qty must be positive', { data: { field: 'qty' } })
    },
    boom: () => {
      throw new Error('secret internals')
    },
    slow: (ctx: Context) => new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
    quiet: () => undefined,
  },
})
const billing = defineService({ name: 'billing', actions: { total: () => 42 } })

/** A plain nats.js connection: no Plexus code on the caller's side. */
async function client(t: { after: (fn: () => Promise<void>) => void }, url: string) {
  const nc = await connect({ servers: url })
  t.after(() => nc.close())
  return nc
}

/**
 * Gathers `count` answers to one request on `subject` (empty no-responders statuses aside). Asks
 * again on a fresh inbox while none has them all: a facade exposes services on its next pass.
 */
async function gather(nc: NatsConnection, subject: string, count: number): Promise<Msg[]> {
  const inboxes: Msg[][] = []
  const subs: { unsubscribe(): void }[] = []
  try {
    return await until(`${count} answers on ${subject}`, () => {
      const full = inboxes.find((got) => got.length >= count)
      if (full !== undefined) return full
      const got: Msg[] = []
      inboxes.push(got)
      const inbox = createInbox()
      subs.push(
        nc.subscribe(inbox, { callback: (_e, msg) => void (msg.data.length > 0 && got.push(msg)) }),
      )
      nc.publish(subject, '', { reply: inbox })
      return undefined
    })
  } finally {
    for (const sub of subs) sub.unsubscribe()
  }
}

const json = (msg: Msg) => msg.json<Record<string, any>>()
const SEMVER = /^\d+\.\d+\.\d+$/
const NAME = /^[a-zA-Z0-9_-]+$/

function assertCommon(body: Record<string, any>, type: string, name: string): void {
  assert.equal(body.type, `io.nats.micro.v1.${type}_response`)
  assert.equal(body.name, name)
  assert.match(body.name, NAME)
  assert.equal(typeof body.id, 'string')
  assert.ok(body.id.length > 0)
  assert.match(body.version, SEMVER)
  assert.equal(typeof body.metadata, 'object')
}

test(
  'a plain NATS request with no Plexus code calls an exposed action and gets its JSON answer',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    await clusterNode(t, url, 'a', [orders], { micro: true })
    const nc = await client(t, url)
    await until('orders exposed', () =>
      nc.request('$SRV.PING.orders').then(
        () => true,
        () => undefined,
      ),
    )
    const reply = await nc.request('plexus.test.svc.orders.create', '{"item":"book","qty":2}')
    assert.equal(reply.headers?.get('Nats-Service-Error-Code') ?? '', '')
    assert.deepEqual(reply.json(), { id: 7, item: 'book', qty: 2 })
    const empty = await nc.request('plexus.test.svc.orders.quiet', '')
    assert.equal(empty.data.length, 0)
  },
)

test(
  '$SRV.PING, INFO and STATS answer at all three subject levels with the micro fields, and STATS counts',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    await clusterNode(t, url, 'a', [orders, billing], { micro: true })
    const nc = await client(t, url)
    const pings = await gather(nc, '$SRV.PING', 2)
    assert.equal(pings.length, 2)
    assert.deepEqual(pings.map((m) => json(m).name).sort(), ['billing', 'orders'])
    for (const m of pings) assertCommon(json(m), 'ping', json(m).name)
    const id = pings.map(json).find((b) => b.name === 'orders')!.id as string
    assert.equal(json(pings[0]!).metadata['plexus.node'], 'a')

    for (const subject of ['$SRV.INFO', '$SRV.INFO.orders', `$SRV.INFO.orders.${id}`]) {
      const answers = (await gather(nc, subject, subject === '$SRV.INFO' ? 2 : 1)).map(json)
      const info = answers.find((b) => b.name === 'orders')!
      assertCommon(info, 'info', 'orders')
      assert.equal(info.id, id, subject)
      assert.equal(typeof info.description, 'string')
      assert.deepEqual(
        info.endpoints.map((e: any) => [e.name, e.subject, e.queue_group]),
        ['create', 'refuse', 'boom', 'slow', 'quiet'].map((a) => [
          a,
          `plexus.test.svc.orders.${a}`,
          'q',
        ]),
      )
      for (const e of info.endpoints) assert.match(e.name, NAME)
    }
    for (const subject of ['$SRV.PING.orders', `$SRV.PING.orders.${id}`]) {
      assertCommon(json((await gather(nc, subject, 1))[0]!), 'ping', 'orders')
    }

    for (let i = 0; i < 3; i++) await nc.request('plexus.test.svc.orders.create', '{}')
    await nc.request('plexus.test.svc.orders.refuse', '{}')
    for (const subject of ['$SRV.STATS', '$SRV.STATS.orders', `$SRV.STATS.orders.${id}`]) {
      const answers = (await gather(nc, subject, subject === '$SRV.STATS' ? 2 : 1)).map(json)
      const stats = answers.find((b) => b.name === 'orders')!
      assertCommon(stats, 'stats', 'orders')
      assert.ok(!Number.isNaN(Date.parse(stats.started)), 'started is an ISO date')
      const byName = new Map<string, any>(stats.endpoints.map((e: any) => [e.name, e]))
      const create = byName.get('create')
      assert.equal(create.num_requests, 3)
      assert.equal(create.num_errors, 0)
      assert.equal(create.queue_group, 'q')
      assert.ok(create.processing_time > 0)
      assert.equal(create.average_processing_time, Math.round(create.processing_time / 3))
      const refuse = byName.get('refuse')
      assert.equal(refuse.num_requests, 1)
      assert.equal(refuse.num_errors, 1)
      assert.equal(refuse.last_error, '422:qty must be positive')
    }
  },
)

test(
  'an error answers with Nats-Service-Error, Nats-Service-Error-Code and Plexus-Error-Code',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    await clusterNode(t, url, 'a', [orders], { micro: true })
    const nc = await client(t, url)
    await gather(nc, '$SRV.PING.orders', 1)
    const ask = async (action: string, body: string, deadline?: string) => {
      const h = headers()
      if (deadline !== undefined) h.set('Plexus-Deadline', deadline)
      const reply = await nc.request(`plexus.test.svc.orders.${action}`, body, {
        headers: h,
        timeout: 10_000,
      })
      return {
        error: reply.headers?.get('Nats-Service-Error'),
        status: reply.headers?.get('Nats-Service-Error-Code'),
        code: reply.headers?.get('Plexus-Error-Code'),
        body: reply.json<Record<string, unknown>>(),
      }
    }
    assert.deepEqual(await ask('refuse', '{}'), {
      error: 'qty must be positive',
      status: '422',
      code: 'VALIDATION',
      body: {
        code: 'VALIDATION',
        message: 'qty must be positive',
        retryable: false,
        data: { field: 'qty' },
      },
    })
    const boom = await ask('boom', '')
    assert.deepEqual([boom.status, boom.code, boom.error], ['500', 'HANDLER', 'The handler failed'])
    assert.ok(!JSON.stringify(boom).includes('secret'), 'a handler bug keeps its text in the logs')
    const late = await ask('slow', '', '100')
    assert.deepEqual([late.status, late.code], ['504', 'TIMEOUT'])
    const bad = await ask('create', '{"item":')
    assert.deepEqual([bad.status, bad.code], ['400', 'INVALID_ARGUMENT'])
  },
)

test(
  'the facade calls through the kernel: an interceptor refusing the call answers 403 FORBIDDEN',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const seen: string[] = []
    const { kernel } = await clusterNode(t, url, 'a', [orders], { micro: true })
    kernel.intercept({
      name: 'acl',
      call: (next) => (address, input, options, caller) => {
        seen.push(address)
        if (address === 'orders.create')
          return Promise.reject(new PlexusError('FORBIDDEN', 'not for you'))
        return next(address, input, options, caller)
      },
    })
    const nc = await client(t, url)
    await gather(nc, '$SRV.PING.orders', 1)
    const reply = await nc.request('plexus.test.svc.orders.create', '{}')
    assert.equal(reply.headers?.get('Nats-Service-Error-Code'), '403')
    assert.equal(reply.headers?.get('Plexus-Error-Code'), 'FORBIDDEN')
    assert.deepEqual(seen, ['orders.create'])
  },
)

test(
  'nothing is exposed without the opt-in, and a list exposes only the services it names',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    await clusterNode(t, url, 'a', [orders])
    const nc = await client(t, url)
    // A wait on a timer would prove nothing: the node has joined, so its facade would be up.
    for (const subject of ['$SRV.PING', '$SRV.INFO.orders', 'plexus.test.svc.orders.create']) {
      const error = await rejectionOf(nc.request(subject, '{}'))
      assert.match(String(error), /no responders/i, subject)
    }
    const b = await clusterNode(
      t,
      url,
      'b',
      [billing, defineService({ name: 'stock', actions: { n: () => 1 } })],
      {
        micro: ['billing'],
      },
    )
    await until('billing exposed', () => (b.plugin.micro?.services === 1 ? true : undefined))
    const pings = await gather(nc, '$SRV.PING', 1)
    assert.equal(pings.length, 1)
    assert.equal(json(pings[0]!).name, 'billing')
    assert.match(String(await rejectionOf(nc.request('$SRV.PING.stock'))), /no responders/i)
    assert.match(String(await rejectionOf(nc.request('$SRV.PING.orders'))), /no responders/i)
  },
)
