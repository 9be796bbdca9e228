import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, type Kernel, type PlexusError } from '@plexus/kernel'
import { FAILED_TOPIC, RESTARTED_TOPIC } from '@plexus/isolate'
import crashy from './fixtures/crashy.js'
import doomed from './fixtures/failing-start.js'
import { eventually, fixture, isolatedKernel, rejectionOf, sleep } from './helpers.js'

const fast = { restart: { intensity: 5, period: 10_000, backoff: 10 }, ping: { interval: 100 } }

/** An inline service recording the supervisor's events. */
function monitor(events: { topic: string; payload: any }[]) {
  return defineService({
    name: 'monitor',
    events: {
      'plexus.*.*': (ctx, payload) => {
        events.push({ topic: ctx.topic!, payload })
      },
    },
  })
}

async function crashyKernel(placement: string, settings: object = fast) {
  const events: { topic: string; payload: any }[] = []
  const kernel = isolatedKernel()
  kernel.add(monitor(events))
  kernel.add(crashy, { placement, module: fixture('crashy'), settings: settings as any })
  await kernel.start()
  return { kernel, events }
}

function instanceOf(kernel: Kernel<any>, name: string) {
  return kernel.services().find((s) => s.name === name)!.instances[0]!
}

for (const placement of ['worker', 'process']) {
  describe(`supervision: ${placement}`, () => {
    for (const [fault, action] of [
      ['process.exit(1) in a handler', 'crashy.exit'],
      ['an error thrown outside any handler', 'crashy.throwOutside'],
    ] as const) {
      it(`${fault}: every call in flight ends at once with UNAVAILABLE (retryable), the instance restarts, the kernel lives on`, async () => {
        const { kernel, events } = await crashyKernel(placement)
        const before = (await kernel.call('crashy.who')) as object
        const inFlight = Array.from({ length: 10 }, () =>
          kernel.call('crashy.slow', { ms: 5_000 }).then(
            () => 'ok',
            (e: PlexusError) => e,
          ),
        )
        await sleep(20)
        const crash = await rejectionOf(kernel.call('crashy' + action.slice(6)))
        const outcomes = await Promise.all(inFlight)
        for (const error of [crash, ...outcomes] as PlexusError[]) {
          assert.equal(error.code, 'UNAVAILABLE')
          assert.equal(error.retryable, true)
        }
        const after = (await kernel.call('crashy.who')) as object
        assert.notDeepEqual(after, before, 'a fresh guest answers')
        assert.equal(instanceOf(kernel, 'crashy').restarts, 1)
        assert.equal(instanceOf(kernel, 'crashy').state, 'running')
        assert.ok(await eventually(() => events.some((e) => e.topic === RESTARTED_TOPIC)))
        await kernel.stop()
      })
    }

    it('running out of memory restarts the instance and names the cause', async () => {
      const { kernel } = await crashyKernel(placement, {
        ...fast,
        // A heap near its limit thrashes in GC and misses PINGs too; leave the cause to the limit.
        ping: { interval: 0 },
        resourceLimits: { maxOldGenerationSizeMb: 48 },
      })
      const error = await rejectionOf(kernel.call('crashy.hog', undefined, { deadline: 20_000 }))
      assert.equal(error.code, 'UNAVAILABLE')
      assert.equal(
        error.data.reason,
        placement === 'worker' ? 'ERR_WORKER_OUT_OF_MEMORY' : 'ERR_CHILD_OUT_OF_MEMORY',
      )
      assert.equal(await kernel.call('crashy.echo', 7), 7)
      await kernel.stop()
    })

    it('a blocked event loop is declared unresponsive after missed PINGs and replaced; calls end by their deadline', async () => {
      const { kernel } = await crashyKernel(placement, {
        ...fast,
        ping: { interval: 100, misses: 3 },
      })
      const lag = { max: 0 }
      let last = performance.now()
      const probe = setInterval(() => {
        const now = performance.now()
        lag.max = Math.max(lag.max, now - last - 10)
        last = now
      }, 10)
      const blocked = await rejectionOf(kernel.call('crashy.block', undefined, { deadline: 1000 }))
      assert.ok(['TIMEOUT', 'UNAVAILABLE'].includes(blocked.code), blocked.code)
      assert.ok(await eventually(() => instanceOf(kernel, 'crashy').restarts === 1))
      assert.equal(await kernel.call('crashy.echo', 1), 1)
      clearInterval(probe)
      assert.ok(lag.max < 250, `kernel event loop stalled ${lag.max.toFixed(0)} ms`)
      await kernel.stop()
    })

    it('a started hook that keeps throwing: exactly 3 restarts in the period, then FAILED, one event, later calls UNAVAILABLE at once', async () => {
      const events: { topic: string; payload: any }[] = []
      const kernel = isolatedKernel()
      kernel.add(monitor(events))
      await kernel.start()
      kernel.add(doomed, {
        placement,
        module: fixture('failing-start'),
        settings: { restart: { intensity: 3, period: 5_000, backoff: 10 } },
      })
      assert.ok(await eventually(() => events.some((e) => e.topic === FAILED_TOPIC), 15_000))
      await sleep(50)
      assert.equal(events.filter((e) => e.topic === FAILED_TOPIC).length, 1)
      assert.equal(events.filter((e) => e.topic === 'plexus.service.failed').length, 1)
      const status = kernel.services().find((s) => s.name === 'doomed')!
      assert.equal(status.instances[0]!.restarts, 3)
      assert.equal(status.instances[0]!.state, 'failed')
      const error = await rejectionOf(kernel.call('doomed.hello'))
      assert.equal(error.code, 'UNAVAILABLE')
      assert.equal(kernel.pendingCalls, 0)
      await kernel.stop()
    })

    it('an instance that keeps crashing while running is FAILED past the intensity; calls then fail at once', async () => {
      const { kernel, events } = await crashyKernel(placement, {
        ...fast,
        restart: { intensity: 2, period: 10_000, backoff: 10 },
      })
      for (let i = 0; i < 3; i++) {
        await rejectionOf(kernel.call('crashy.exit'))
        if (i < 2) await kernel.call('crashy.echo', i)
      }
      assert.ok(await eventually(() => instanceOf(kernel, 'crashy').state === 'failed'))
      assert.equal(instanceOf(kernel, 'crashy').restarts, 2)
      const error = await rejectionOf(kernel.call('crashy.echo', 1))
      assert.equal(error.code, 'UNAVAILABLE')
      assert.equal(events.filter((e) => e.topic === FAILED_TOPIC).length, 1)
      assert.equal(events.find((e) => e.topic === FAILED_TOPIC)!.payload.service, 'crashy')
      await kernel.stop()
    })
  })
}

describe('supervision: module errors', () => {
  it('a module that throws at the top level never starts: restarted up to the intensity, then FAILED', async () => {
    const events: { topic: string; payload: any }[] = []
    const kernel = isolatedKernel()
    kernel.add(monitor(events))
    await kernel.start()
    kernel.add(defineService({ name: 'toplevel', actions: { hello: () => 'x' } }), {
      placement: 'worker',
      module: fixture('top-level-throw'),
      settings: { restart: { intensity: 2, period: 5_000, backoff: 10 } },
    })
    assert.ok(await eventually(() => events.some((e) => e.topic === FAILED_TOPIC), 15_000))
    assert.match(
      events.find((e) => e.topic === FAILED_TOPIC)!.payload.reason,
      /thrown at the top level/,
    )
    await kernel.stop()
  })
})
