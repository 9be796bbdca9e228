import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  defineService,
  leastInFlight,
  roundRobin,
  shardByKey,
  type Balanceable,
} from '@plexus/kernel'
import { quietKernel, sleep } from './helpers.js'

const instances = (n: number, inFlight: number[] = []): Balanceable[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    stats: { inFlight: inFlight[i] ?? 0, consecutiveErrors: 0 },
  }))

describe('balancing strategies', () => {
  it('round-robin visits every instance in turn', () => {
    const balancer = roundRobin()
    const list = instances(3)
    assert.deepEqual(
      Array.from({ length: 6 }, () => balancer.pick(list, null, {}).id),
      ['i0', 'i1', 'i2', 'i0', 'i1', 'i2'],
    )
  })

  it('least-in-flight (power of two choices) never picks the busiest of two', () => {
    const balancer = leastInFlight()
    const list = instances(2, [5, 0])
    for (let i = 0; i < 100; i++) assert.equal(balancer.pick(list, null, {}).id, 'i1')
  })

  it('shard-by-key sends the same key to the same instance and moves few keys when one is added', () => {
    const balancer = shardByKey((input) => (input as { user: string }).user)()
    const three = instances(3)
    const four = instances(4)
    let moved = 0
    for (let u = 0; u < 1000; u++) {
      const input = { user: `u${u}` }
      const first = balancer.pick(three, input, {}).id
      assert.equal(balancer.pick(three, input, {}).id, first)
      if (balancer.pick(four, input, {}).id !== first) moved++
    }
    assert.ok(moved < 400, `${moved} of 1000 keys moved (ideal 250)`)
  })

  it('spreads calls over instances with the configured strategy and keeps per-instance figures', async () => {
    const kernel = quietKernel().add(
      defineService({ name: 'w', actions: { job: async () => sleep(2) } }),
      { instances: 4, balancer: 'least-in-flight' },
    )
    await kernel.start()
    await Promise.all(Array.from({ length: 400 }, () => kernel.call('w.job')))
    const figures = kernel.services()[0]!.instances
    assert.equal(
      figures.reduce((n, i) => n + i.count, 0),
      400,
    )
    for (const i of figures) {
      assert.ok(i.count > 40, `${i.id} took ${i.count}`)
      assert.equal(i.inFlight, 0)
      assert.ok(i.p99 >= i.p50 && i.p50 > 0)
    }
    await kernel.stop()
  })

  it('refuses an unknown balancer name with INVALID_ARGUMENT', () => {
    assert.throws(
      () => quietKernel().add(defineService({ name: 'x' }), { balancer: 'random' as never }),
      {
        code: 'INVALID_ARGUMENT',
      },
    )
  })
})
