import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, topicMatches, type EventErrorReport } from '@plexus/kernel'
import { eventually, quietKernel } from './helpers.js'

describe('events', () => {
  it('matches wildcards: * is one token, > is one or more trailing tokens', () => {
    assert.equal(topicMatches('orders.*', 'orders.created'), true)
    assert.equal(topicMatches('orders.*', 'orders.created.eu'), false)
    assert.equal(topicMatches('orders.>', 'orders.created.eu'), true)
    assert.equal(topicMatches('orders.>', 'orders'), false)
    assert.equal(topicMatches('*.created', 'users.created'), true)
    assert.equal(topicMatches('orders.created', 'orders.created'), true)
    assert.equal(topicMatches('orders.created', 'orders.deleted'), false)
  })

  it('delivers an emitted event to every subscribing service whose pattern matches', async () => {
    const seen: string[] = []
    const kernel = quietKernel()
      .add(
        defineService({
          name: 'audit',
          events: { 'orders.>': (ctx) => void seen.push(`audit:${ctx.topic}`) },
        }),
      )
      .add(
        defineService({
          name: 'mail',
          events: { 'orders.*': (ctx) => void seen.push(`mail:${ctx.topic}`) },
        }),
      )
      .add(defineService({ name: 'other', events: { 'users.*': () => void seen.push('other') } }))
    await kernel.start()
    kernel.emit('orders.created', { id: 1 })
    kernel.emit('orders.created.eu', { id: 2 })
    assert.ok(await eventually(() => seen.length >= 3), `${seen.length} deliveries`)
    assert.deepEqual(seen.sort(), [
      'audit:orders.created',
      'audit:orders.created.eu',
      'mail:orders.created',
    ])
    await kernel.stop()
  })

  it('balances an event to one instance per service, and broadcast reaches every instance', async () => {
    const balanced = new Map<string, number>()
    const broadcast = new Map<string, number>()
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
    let instance = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'worker',
        started: () => void instance++,
        events: {
          'jobs.*': (ctx) => void count(balanced, ctx.topic!),
          'config.changed': {
            delivery: 'broadcast',
            handler: (ctx) => void count(broadcast, ctx.topic!),
          },
        },
      }),
      { instances: 3 },
    )
    await kernel.start()
    assert.equal(instance, 3)
    for (let i = 0; i < 30; i++) kernel.emit('jobs.run', i)
    kernel.emit('config.changed', {})
    const delivered = () => (balanced.get('jobs.run') ?? 0) + (broadcast.get('config.changed') ?? 0)
    assert.ok(await eventually(() => delivered() >= 33), `${delivered()} deliveries`)
    assert.equal(balanced.get('jobs.run'), 30)
    assert.equal(broadcast.get('config.changed'), 3)
    const perInstance = kernel.services()[0]!.instances.map((i) => i.count)
    assert.deepEqual(perInstance, [11, 11, 11], '30 balanced round-robin + 1 broadcast each')
    await kernel.stop()
  })

  it('reports and counts a failing handler (sync or async) instead of swallowing it', async () => {
    const reports: EventErrorReport[] = []
    const kernel = quietKernel({ onEventError: (r) => reports.push(r) }).add(
      defineService({
        name: 'flaky',
        events: {
          'a.sync': () => {
            throw new Error('sync failure')
          },
          'a.async': async () => {
            throw new Error('async failure')
          },
        },
      }),
    )
    await kernel.start()
    kernel.emit('a.sync')
    kernel.emit('a.async')
    assert.ok(await eventually(() => reports.length >= 2), `${reports.length} reports`)
    assert.equal(kernel.counters.eventErrors, 2)
    assert.deepEqual(
      reports.map((r) => [r.service, r.topic, r.error.code, r.error.message]).sort(),
      [
        ['flaky', 'a.async', 'HANDLER', 'async failure'],
        ['flaky', 'a.sync', 'HANDLER', 'sync failure'],
      ],
    )
    await kernel.stop()
  })

  it('rejects an emit to a malformed topic with INVALID_ARGUMENT and counts unrouted events', async () => {
    const kernel = quietKernel()
    await kernel.start()
    assert.throws(() => kernel.emit('orders.*'), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => kernel.emit(''), { code: 'INVALID_ARGUMENT' })
    kernel.emit('nobody.listens')
    assert.equal(kernel.counters.eventsUnrouted, 1)
    await kernel.stop()
  })

  it('delivers events emitted from a handler with the emitting service as the caller', async () => {
    let caller: string | undefined
    const kernel = quietKernel()
      .add(
        defineService({
          name: 'orders',
          actions: { create: (ctx) => ctx.emit('orders.created', { id: 1 }) },
        }),
      )
      .add(
        defineService({
          name: 'mail',
          events: { 'orders.created': (ctx) => void (caller = ctx.caller) },
        }),
      )
    await kernel.start()
    await kernel.call('orders.create')
    assert.equal(caller, 'orders')
    await kernel.stop()
  })
})
