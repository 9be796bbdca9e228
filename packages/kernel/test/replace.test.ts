import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService } from '@plexus/kernel'
import { eventually, quietKernel, reportGates, scale, sleep } from './helpers.js'

function version(v: number, handled: Map<number, number[]>, log: string[]) {
  return defineService({
    name: 'pricing',
    version: v,
    started: () => void log.push(`start v${v}`),
    stopped: () => void log.push(`stop v${v}`),
    actions: {
      quote: async (_ctx, { sku }: { sku: string }) => {
        await sleep(Math.random() * 4)
        return { sku, version: v }
      },
    },
    events: {
      'orders.created': async (_ctx, { seq }: { seq: number }) => {
        await sleep(Math.random() * 2)
        handled.set(seq, [...(handled.get(seq) ?? []), v])
      },
    },
  })
}

describe('hot replace', () => {
  it('replaces v1 -> v2 -> v3 under continuous load with 0 failed calls and every balanced event handled exactly once', async () => {
    const handled = new Map<number, number[]>()
    const log: string[] = []
    const kernel = quietKernel().add(version(1, handled, log), { instances: 2 })
    await kernel.start()
    let running = true
    let ok = 0
    const failures: unknown[] = []
    const versionsSeen = new Set<number>()
    const callers = Array.from({ length: 200 }, async () => {
      while (running) {
        try {
          const answer = await kernel.call('pricing.quote', { sku: 'x' })
          versionsSeen.add(answer.version)
          ok++
        } catch (error) {
          failures.push(error)
        }
      }
    })
    let seq = 0
    const emitter = (async () => {
      while (running) {
        for (let i = 0; i < 20; i++) kernel.emit('orders.created', { seq: seq++ })
        await sleep(1)
      }
    })()
    // T1: each phase lasts until 400 more calls were answered (and, at full scale, 10 s: v1 -> v2
    // at 10 s, v2 -> v3 at 20 s, 30 s in all), not a fixed time.
    const phaseMs = scale({ small: 0, full: 10_000 })
    const t0 = performance.now()
    const served = async (phase: string) => {
      const from = ok
      const start = performance.now()
      const done = () => ok >= from + 400 && performance.now() - start >= phaseMs
      assert.ok(await eventually(done, phaseMs + 15_000), `${ok - from} answered ${phase}`)
    }
    await served('on v1')
    await kernel.replace('pricing', version(2, handled, log))
    await served('on v2')
    await kernel.replace('pricing', version(3, handled, log))
    await served('on v3')
    running = false
    await Promise.all([...callers, emitter])
    const allHandled = await eventually(() => handled.size === seq)
    const seconds = (performance.now() - t0) / 1000
    const duplicates = [...handled.values()].filter((versions) => versions.length !== 1)
    reportGates('T1 inline', `${seconds.toFixed(0)} s, c=200, 2 replaces, ${seq} events`, {
      calls: ok,
      callsPerSecond: Math.round(ok / seconds),
      failed: failures.length,
      lostEvents: seq - handled.size,
      duplicatedEvents: duplicates.length,
    })
    assert.ok(allHandled, `${handled.size} of ${seq} handled`)
    assert.deepEqual(failures, [])
    assert.deepEqual([...versionsSeen].sort(), [1, 2, 3])
    assert.equal(handled.size, seq, 'every event handled')
    assert.deepEqual(duplicates, [], 'no event handled twice')
    assert.deepEqual(log, [
      'start v1',
      'start v1',
      'start v2',
      'start v2',
      'stop v1',
      'stop v1',
      'start v3',
      'start v3',
      'stop v2',
      'stop v2',
    ])
    const status = kernel.services()
    assert.deepEqual(
      status.map((s) => [s.version, s.state, s.instances.length]),
      [[3, 'running', 2]],
    )
    await kernel.stop()
  })

  it('routes no new call to the old version once the switch happened', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'svc',
        version: 1,
        actions: {
          v: async () => {
            await sleep(30)
            return 1
          },
        },
      }),
    )
    await kernel.start()
    const before = kernel.call('svc.v')
    const replacing = kernel.replace(
      'svc',
      defineService({ name: 'svc', version: 2, actions: { v: () => 2 } }),
    )
    // Once v2 is the running version (a condition, not a pause), calls go to it.
    assert.ok(
      await eventually(() =>
        kernel.services().some((s) => s.version === 2 && s.state === 'running'),
      ),
    )
    assert.equal(await kernel.call('svc.v'), 2)
    assert.equal(await before, 1, 'the old version finished its in-flight call')
    await replacing
    await kernel.stop()
  })

  it('keeps the old version serving when the new one fails to start', async () => {
    const kernel = quietKernel().add(
      defineService({ name: 'svc', version: 1, actions: { v: () => 1 } }),
    )
    await kernel.start()
    await assert.rejects(
      kernel.replace(
        'svc',
        defineService({
          name: 'svc',
          version: 2,
          started: () => {
            throw new Error('bad config')
          },
          actions: { v: () => 2 },
        }),
      ),
      { code: 'START_FAILED' },
    )
    assert.equal(await kernel.call('svc.v'), 1)
    await kernel.stop()
  })

  it('refuses to replace an unknown service with NOT_FOUND', async () => {
    const kernel = quietKernel()
    await assert.rejects(kernel.replace('ghost', defineService({ name: 'ghost' })), {
      code: 'NOT_FOUND',
    })
  })
})
