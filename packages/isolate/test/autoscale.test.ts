// Autoscaled pools: `settings: { instances: { min, max } }` over the kernel's instance slots,
// scaled by the kernel's own in-flight figures. Gates are counts and conditions, not time.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, type Kernel } from '@plexus/kernel'
import { POOL_SCALED_TOPIC, type PoolSettings } from '@plexus/isolate'
import { until } from '@plexus/testing'
import pooled from './fixtures/pooled.js'
import { fixture, isolatedKernel, rejectionOf } from './helpers.js'

interface Scaled {
  from: number
  to: number
  reason: string
  service: string
  min: number
  max: number
}

function poolKernel(placement: 'worker' | 'process', slots: number, pool: PoolSettings) {
  const scaled: Scaled[] = []
  const kernel = isolatedKernel()
  kernel.add(
    defineService({
      name: 'watcher',
      events: { [POOL_SCALED_TOPIC]: (_ctx, payload) => void scaled.push(payload as Scaled) },
    }),
  )
  kernel.add(pooled, {
    placement,
    module: fixture('pooled'),
    instances: slots,
    settings: { instances: pool, ping: { interval: 200 } },
  })
  return { kernel, scaled }
}

/** Bounds of the waits: generous, as guests start slowly on a loaded machine. */
const WAIT = { ms: 120_000 }

const instancesOf = (kernel: Kernel<any>) =>
  kernel.services().find((s) => s.name === 'pooled')!.instances
const runningOf = (kernel: Kernel<any>) =>
  instancesOf(kernel).filter((i) => i.state === 'running').length

for (const placement of ['worker', 'process'] as const) {
  describe(`autoscaled pool (${placement})`, () => {
    it('scales out while a burst runs and back in after it, draining each instance it removes: 0 failed calls', async (t) => {
      const { kernel, scaled } = poolKernel(placement, 3, {
        min: 1,
        target: 4,
        interval: 50,
        cooldown: 100,
        settle: 3,
      })
      await kernel.start()
      t.after(() => kernel.stop())
      assert.equal(runningOf(kernel), 1, 'min instances start with the kernel')
      assert.deepEqual(
        instancesOf(kernel).map((i) => i.state),
        ['running', 'idle', 'idle'],
        'the other slots are parked',
      )

      let ok = 0
      const failed: unknown[] = []
      const servedBy = new Set<string>()
      const loop = (ms: number, going: () => boolean) => async () => {
        while (going()) {
          try {
            const who = (await kernel.call('pooled.work', { ms })) as {
              pid: number
              threadId: number
            }
            servedBy.add(`${who.pid}/${who.threadId}`)
            ok++
          } catch (error) {
            failed.push(error)
          }
        }
      }

      // A burst of 16 callers: 16 in flight over one instance is 4× the target.
      let burst = true
      let trickle = true
      // However a wait below ends, the callers stop (a failed wait must not leave them looping).
      t.after(() => {
        burst = false
        trickle = false
      })
      const callers = Array.from(
        { length: 16 },
        loop(20, () => burst),
      )
      await until(
        'the pool to scale out to 3 running instances',
        () => (runningOf(kernel) === 3 ? true : undefined),
        WAIT,
      )
      const before = ok
      await until(
        '100 more calls answered by the grown pool',
        () => (ok >= before + 100 ? true : undefined),
        WAIT,
      )
      burst = false
      await Promise.all(callers)
      assert.ok(servedBy.size >= 2, `the new instances served calls (${servedBy.size} served)`)
      const out = scaled.filter((e) => e.to > e.from)
      assert.ok(out.length >= 1, 'a scale-out was announced')
      assert.equal(out[0]!.from, 1)
      assert.match(out[0]!.reason, /in flight/)
      assert.deepEqual([out[0]!.service, out[0]!.min, out[0]!.max], ['pooled', 1, 3])

      // A trickle of 2 callers keeps calls flowing while the pool shrinks: the instances it
      // removes are drained (they stop receiving calls, the ones in flight finish).
      const trickling = Array.from(
        { length: 2 },
        loop(30, () => trickle),
      )
      await until(
        'the pool to scale back in to 1 running instance',
        () => (runningOf(kernel) === 1 ? true : undefined),
        WAIT,
      )
      const settled = ok
      await until(
        '20 more calls on the one left',
        () => (ok >= settled + 20 ? true : undefined),
        WAIT,
      )
      trickle = false
      await Promise.all(trickling)

      assert.equal(failed.length, 0, `failed calls: ${failed.map(String).join('; ')}`)
      const inSteps = scaled.filter((e) => e.to < e.from)
      assert.ok(inSteps.length >= 1, 'a scale-in was announced')
      assert.ok(
        inSteps.every((e) => e.to === e.from - 1),
        'scale-in removes one instance a step',
      )
      assert.match(inSteps[0]!.reason, /readings/)
      assert.deepEqual(
        instancesOf(kernel).map((i) => i.state),
        ['running', 'idle', 'idle'],
        'parked again, the first slot kept',
      )
      assert.equal(
        instancesOf(kernel).reduce((n, i) => n + i.restarts, 0),
        0,
        'scaling is not a restart',
      )
      assert.equal(kernel.pendingCalls, 0)
    })
  })
}

describe('autoscaled pool settings', () => {
  it('refuses a max other than the instance count, and bad numbers, with INVALID_ARGUMENT', async () => {
    for (const [slots, pool, pattern] of [
      [2, { min: 1, max: 4 }, /'instances.max' \(4\) must be the service's instance count \(2\)/],
      [2, { min: 3 }, /'instances.min' \(3\) is above the instance count \(2\)/],
      [2, { min: 0 }, /'instances.min' must be an integer >= 1, got 0/],
      [2, { min: 1, target: 0.5 }, /'instances.target' must be an integer >= 1/],
      [2, { min: 1, size: 3 }, /'instances.size' is unknown/],
    ] as const) {
      const { kernel } = poolKernel('worker', slots, pool as PoolSettings)
      const error = await rejectionOf(kernel.start())
      const text = `${error.message} ${String((error.cause as Error | undefined)?.message)}`
      assert.match(text, pattern)
      await kernel.stop()
    }
  })
})
