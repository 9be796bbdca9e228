import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, createInbox, headers, type Msg } from '@nats-io/transport-node'
import { defineService, PlexusError, type Context } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { clusterNode, forgerSetup, linkMessage, natsServer, skip } from './helpers.js'

const hasProto = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  (Object.prototype.hasOwnProperty.call(value, '__proto__') || Object.values(value).some(hasProto))

test(
  '10,000 malformed or forged messages on a facade subject are refused and counted while valid requests answer',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const seen: unknown[] = []
    const orders = defineService({
      name: 'orders',
      actions: {
        create: (_ctx: Context, input: { qty?: unknown }) => {
          seen.push(input)
          if (typeof input?.qty !== 'number') {
            throw new PlexusError('VALIDATION', 'qty must be a number')
          }
          return { ok: input.qty }
        },
      },
    })
    const a = await clusterNode(t, url, 'a', [orders], { micro: true, microMaxInput: 4096 })
    await until('orders exposed', () => (a.plugin.micro?.services === 1 ? true : undefined))
    const nc = await connect({ servers: url })
    t.after(() => nc.close())
    const subject = 'plexus.test.svc.orders.create'
    await until('the endpoint answers', () =>
      nc.request(subject, '{"qty":0}').then(
        () => true,
        () => undefined,
      ),
    )
    const before = seen.length

    const inbox = createInbox()
    const answers: Msg[] = []
    nc.subscribe(inbox, { callback: (_e, msg) => void answers.push(msg) })
    const badDeadline = headers()
    badDeadline.set('Plexus-Deadline', 'soon')
    const forged: [count: number, body: string, opts: { reply?: string; headers?: any }][] = [
      [1500, '{"qty":', { reply: inbox }], // bad JSON
      [500, '\u00ff\u00fe garbage', { reply: inbox }],
      [1000, '{"__proto__":{"admin":true},"qty":1}', { reply: inbox }],
      [1000, '{"qty":1,"deep":[{"x":{"__proto__":{"polluted":1}}}]}', { reply: inbox }],
      [2000, `{"qty":1,"pad":"${'x'.repeat(5000)}"}`, { reply: inbox }], // over microMaxInput
      [1000, '{"qty":1}', { reply: inbox, headers: badDeadline }], // a header of the wrong type
      [1000, '{"qty":"many"}', { reply: inbox }], // wrong type: the handler's own check refuses it
      [1000, '{"qty":1}', {}], // no reply subject
      [1000, '{"__proto__":{"admin":true}}', {}],
    ]
    const valid: Promise<Msg>[] = []
    let published = 0
    for (const [count, body, opts] of forged) {
      for (let i = 0; i < count; i++) {
        nc.publish(subject, body, opts)
        if (++published % 20 === 0)
          valid.push(nc.request(subject, `{"qty":${published}}`, { timeout: 60_000 }))
      }
    }
    assert.equal(published, 10_000)
    const replies = await Promise.all(valid)
    assert.equal(replies.length, 500)
    for (const reply of replies) {
      assert.equal(reply.headers?.get('Nats-Service-Error'), undefined, reply.string())
      assert.equal(typeof reply.json<{ ok: number }>().ok, 'number')
    }
    // 8,000 forged messages had a reply subject: each gets an error answer.
    await until('an error answer to every forged request', () =>
      answers.length >= 8000 ? true : undefined,
    )
    const byStatus = new Map<string, number>()
    for (const msg of answers) {
      const key = `${msg.headers?.get('Nats-Service-Error-Code')}:${msg.headers?.get('Plexus-Error-Code')}`
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1)
    }
    assert.deepEqual(Object.fromEntries(byStatus), {
      '400:INVALID_ARGUMENT': 7000,
      '422:VALIDATION': 1000,
    })
    // Refused before the kernel: everything but the wrong-typed qty, which is the handler's call.
    assert.equal(a.plugin.micro?.refused, 9000)
    // The handler saw the valid requests and the 1,000 wrong-typed ones, never a `__proto__`.
    assert.equal(seen.length - before, 1500)
    assert.ok(!seen.some(hasProto), 'no handler input carries a __proto__ key')
    assert.equal(({} as Record<string, unknown>)['admin'], undefined)
    const stats = await nc.request('$SRV.STATS.orders')
    const endpoint = stats.json<{ endpoints: { num_requests: number; num_errors: number }[] }>()
      .endpoints[0]!
    assert.equal(endpoint.num_errors, 8000)
    assert.equal(endpoint.num_requests, 8000 + 500 + 1) // + the first probe that answered
    assert.deepEqual((await nc.request(subject, '{"qty":5}')).json(), { ok: 5 })
  },
)

test(
  '10,000 forged messages on a node link subject are refused and counted while cross-node calls succeed',
  { skip },
  async (t) => {
    const { a, nc } = await forgerSetup(t)
    const refusedBefore = a.plugin.cluster?.refused ?? 0
    const calls: Promise<unknown>[] = []
    const valid = linkMessage({ from: 'forged.1', seq: 1 }, '{"__proto__":{"x":1}}')
    const forge = (i: number) => {
      switch (i % 5) {
        case 0: // no link head at all
          return nc.publish('plexus.test.link.a.b', new Uint8Array([0xff, 0, 1, 2]))
        case 1: // a head cut short inside its sequence number, or of another layout version
          return nc.publish(
            'plexus.test.link.a.b',
            i % 2 === 0 ? valid.subarray(0, 14) : Uint8Array.from([2, ...valid.subarray(1)]),
          )
        case 2: // sequence number zero, or a sender name with a byte no name can hold
          return nc.publish(
            'plexus.test.link.a.b',
            i % 2 === 0
              ? linkMessage({ from: 'forged.1', seq: 0 }, 'x')
              : Uint8Array.from(valid, (byte, at) => (at === 3 ? 0x0a : byte)),
          )
        case 3: // no sender link
          return nc.publish('plexus.test.link.a.b', linkMessage({ from: '', seq: 1 }, 'x'))
        default: // a sender token that no node id can be
          return nc.publish(
            'plexus.test.link.a.b%c',
            linkMessage({ from: 'forged.1', seq: 1 }, 'x'),
          )
      }
    }
    for (let i = 0; i < 10_000; i++) {
      forge(i)
      if (i % 20 === 0) calls.push(a.kernel.call('beta.node'))
    }
    const results = await Promise.allSettled(calls)
    assert.equal(results.length, 500)
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    )
    assert.ok(results.every((r) => r.status === 'fulfilled' && r.value === 'b'))
    await until('every forged message counted', () =>
      (a.plugin.cluster?.refused ?? 0) - refusedBefore >= 10_000 ? true : undefined,
    )
    assert.equal((a.plugin.cluster?.refused ?? 0) - refusedBefore, 10_000)
    assert.equal(await a.kernel.call('beta.node'), 'b')
  },
)

test(
  'well-formed first messages from 200 node ids nobody registered open at most 16 links; the rest are refused and counted',
  { skip },
  async (t) => {
    const { a, nc } = await forgerSetup(t)
    const refusedBefore = a.plugin.cluster?.refused ?? 0
    for (let i = 0; i < 200; i++) {
      nc.publish(`plexus.test.link.a.z${i}`, linkMessage({ from: `forged${i}.1`, seq: 1 }, 'x'))
    }
    await nc.flush()
    await until('every forged first message handled', () =>
      (a.plugin.cluster?.refused ?? 0) - refusedBefore >= 184 ? true : undefined,
    )
    assert.ok((a.plugin.cluster?.links ?? 0) <= 1 + 16, `${a.plugin.cluster?.links} links open`)
    assert.equal(await a.kernel.call('beta.node'), 'b', 'the real peer is still served')
  },
)

test(
  'a forged link byte stream (a length prefix over the frame limit, a frame of garbage) closes only the forging link; the real peer is served',
  { skip },
  async (t) => {
    const { a, nc } = await forgerSetup(t)
    const frame = (length: number, body: Buffer) => {
      const prefix = Buffer.alloc(4)
      prefix.writeUInt32BE(length)
      return Buffer.concat([prefix, body])
    }
    const streams = [
      frame(0xffffffff, Buffer.from('x')), // a length past the 16 MiB frame limit
      frame(17 * 1024 * 1024, Buffer.alloc(16)), // just past it, the body never sent
    ]
    // A link that closed on a framing error probes its peer's ping subject (is it alive?): the
    // sign that the forged stream opened a link and closed it.
    const probed = new Set<string>()
    nc.subscribe('plexus.test.ping.*', {
      callback: (_error, msg) => void probed.add(msg.subject.split('.').pop()!),
    })
    await nc.flush()
    streams.forEach((bytes, f) => {
      nc.publish(`plexus.test.link.a.p${f}`, linkMessage({ from: `forger${f}.1`, seq: 1 }, bytes))
    })
    await nc.flush()
    await until('both forged links opened and closed', () =>
      probed.has('p0') && probed.has('p1') ? true : undefined,
    )
    assert.equal(a.plugin.cluster?.links, 1, 'only the link to b is open')
    assert.equal(await a.kernel.call('beta.node'), 'b', 'the real peer is still served')
  },
)
