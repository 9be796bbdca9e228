import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService, type ServiceDefinition } from '@plexus/kernel'
import { deferred, quietKernel, rejectionOf, sleep } from './helpers.js'

function recorder(
  log: string[],
  name: string,
  dependencies: string[] = [],
  extra: Partial<ServiceDefinition> = {},
) {
  return defineService({
    name,
    dependencies,
    started: () => void log.push(`start ${name}`),
    stopped: () => void log.push(`stop ${name}`),
    actions: { ping: () => name },
    ...extra,
  })
}

describe('lifecycle', () => {
  it('starts dependencies first and stops in strict reverse order', async () => {
    const log: string[] = []
    const kernel = quietKernel()
      .add(recorder(log, 'orders', ['users', 'catalog']))
      .add(recorder(log, 'catalog', ['users']))
      .add(recorder(log, 'users'))
    await kernel.start()
    assert.deepEqual(log, ['start users', 'start catalog', 'start orders'])
    await kernel.stop()
    assert.deepEqual(log.slice(3), ['stop orders', 'stop catalog', 'stop users'])
    assert.equal(kernel.state, 'stopped')
  })

  it('refuses to start when dependencies form a cycle, naming the cycle', async () => {
    const log: string[] = []
    const kernel = quietKernel()
      .add(recorder(log, 'a', ['b']))
      .add(recorder(log, 'b', ['c']))
      .add(recorder(log, 'c', ['a']))
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'DEPENDENCY_CYCLE')
    assert.match(error.message, /a -> b -> c -> a/)
    assert.deepEqual(log, [], 'nothing started')
  })

  it('refuses to start when a dependency is not registered', async () => {
    const kernel = quietKernel().add(recorder([], 'orders', ['users']))
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'MISSING_DEPENDENCY')
    assert.equal(
      error.message,
      "Cannot start service 'orders': dependency 'users' is not registered",
    )
  })

  it('fails start with START_TIMEOUT when a started hook hangs, and stops what had started', async () => {
    const log: string[] = []
    const kernel = quietKernel({ startTimeout: 30 })
      .add(recorder(log, 'users'))
      .add(recorder(log, 'hang', ['users'], { started: () => new Promise(() => {}) }))
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'START_TIMEOUT')
    assert.deepEqual(log, ['start users', 'stop users'])
  })

  it('fails start with START_FAILED carrying the cause when a started hook throws', async () => {
    const kernel = quietKernel().add(
      recorder([], 'bad', [], {
        started: () => {
          throw new Error('no database')
        },
      }),
    )
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'START_FAILED')
    assert.match(error.message, /no database/)
    assert.equal((error.cause as Error).message, 'no database')
  })

  it('makes a call to a service that is still starting wait for it, bounded by the deadline', async () => {
    const gate = deferred()
    const kernel = quietKernel().add(recorder([], 'slowstart', [], { started: () => gate.promise }))
    const starting = kernel.start()
    const early = kernel.call('slowstart.ping')
    const bounded = kernel.call('slowstart.ping', {}, { deadline: 20 })
    assert.equal((await rejectionOf(bounded)).code, 'TIMEOUT')
    gate.resolve()
    await starting
    assert.equal(await early, 'slowstart')
    await kernel.stop()
  })

  it('drains in-flight calls on stop, refuses new ones with UNAVAILABLE, and lets in-flight work call onwards', async () => {
    const kernel = quietKernel()
      .add(recorder([], 'leaf'))
      .add(
        defineService({
          name: 'busy',
          dependencies: ['leaf'],
          actions: {
            work: async (ctx) => {
              await sleep(50)
              return ctx.call('leaf.ping')
            },
          },
        }),
      )
    await kernel.start()
    const inFlight = Array.from({ length: 20 }, () => kernel.call('busy.work'))
    const stopping = kernel.stop()
    const refused = await rejectionOf(kernel.call('busy.work'))
    assert.equal(refused.code, 'UNAVAILABLE')
    assert.deepEqual(await Promise.all(inFlight), Array(20).fill('leaf'))
    await stopping
    assert.equal((await rejectionOf(kernel.call('busy.work'))).code, 'UNAVAILABLE')
  })

  it('ends calls still running after the drain timeout with UNAVAILABLE instead of leaving them hanging', async () => {
    const kernel = quietKernel({ drainTimeout: 30 }).add(
      defineService({ name: 'stuck', actions: { forever: () => new Promise(() => {}) } }),
    )
    await kernel.start()
    const pending = kernel.call('stuck.forever', {}, { deadline: 60_000 })
    await sleep(5)
    await kernel.stop()
    assert.equal((await rejectionOf(pending)).code, 'UNAVAILABLE')
    assert.equal(kernel.pendingCalls, 0)
  })

  it('keeps stopping the other services when one stopped hook fails', async () => {
    const log: string[] = []
    const kernel = quietKernel()
      .add(recorder(log, 'a'))
      .add(
        recorder(log, 'b', ['a'], {
          stopped: () => {
            throw new Error('cannot close')
          },
        }),
      )
      .add(recorder(log, 'c', ['b']))
    await kernel.start()
    await kernel.stop()
    assert.deepEqual(
      log.filter((l) => l.startsWith('stop')),
      ['stop c', 'stop a'],
    )
  })

  it('starts a service added to a running kernel at once', async () => {
    const kernel = quietKernel()
    await kernel.start()
    kernel.add(recorder([], 'late'))
    assert.equal(await (kernel as { call(a: string): Promise<unknown> }).call('late.ping'), 'late')
    await kernel.stop()
  })

  it('removes a service: it drains, stops, and later calls get NOT_FOUND', async () => {
    const log: string[] = []
    const kernel = quietKernel().add(recorder(log, 'gone'))
    await kernel.start()
    await kernel.remove('gone')
    assert.deepEqual(log, ['start gone', 'stop gone'])
    assert.equal((await rejectionOf(kernel.call('gone.ping'))).code, 'NOT_FOUND')
    await kernel.stop()
  })

  it("reports the plug-ins' readiness objections through unready() until their checks are removed", async () => {
    let connected = false
    let remove: () => void = () => {}
    const kernel = quietKernel({
      plugins: [
        {
          name: 'broker',
          setup: (k) => {
            remove = k.readinessCheck(() => (connected ? undefined : 'broker disconnected'))
            return () => remove()
          },
        },
      ],
    })
    assert.deepEqual(kernel.unready(), [])
    await kernel.start()
    assert.deepEqual(kernel.unready(), ['broker disconnected'])
    connected = true
    assert.deepEqual(kernel.unready(), [])
    connected = false
    await kernel.stop()
    assert.deepEqual(kernel.unready(), [], 'the teardown removed the check')
  })

  it('refuses to start twice with INVALID_STATE', async () => {
    const kernel = quietKernel()
    await kernel.start()
    assert.equal((await rejectionOf(kernel.start())).code, 'INVALID_STATE')
    await kernel.stop()
  })
})

describe('lifecycle events', () => {
  it('announces started, replaced, stopped and failed services on plexus.service.* topics', async () => {
    const seen: string[] = []
    const kernel = quietKernel().add(
      defineService({
        name: 'watcher',
        events: {
          'plexus.service.>': (ctx, e: { service: string; version?: number; to?: number }) =>
            void seen.push(`${ctx.topic!.split('.')[2]} ${e.service}@${e.to ?? e.version}`),
        },
      }),
    )
    await kernel.start()
    kernel.add(defineService({ name: 'svc', version: 1, actions: { a: () => 1 } }))
    await sleep(5)
    await kernel.replace('svc', defineService({ name: 'svc', version: 2, actions: { a: () => 2 } }))
    await kernel
      .replace(
        'svc',
        defineService({
          name: 'svc',
          version: 3,
          started: () => {
            throw new Error('nope')
          },
        }),
      )
      .catch(() => {})
    await sleep(5)
    assert.deepEqual(seen, [
      'started watcher@1',
      'started svc@1',
      'started svc@2',
      'replaced svc@2',
      'stopped svc@1',
      'failed svc@3',
    ])
    assert.equal(kernel.counters.eventsUnrouted, 0)
    await kernel.stop()
  })
})

describe('beforeStop hooks', () => {
  it('run first, while calls are still accepted; new calls are refused only once every hook settled', async () => {
    const kernel = quietKernel().add(recorder([], 'svc'))
    await kernel.start()
    const hook = deferred()
    let ran = 0
    kernel.beforeStop(() => {
      ran++
      return hook.promise
    })
    const stopped = kernel.stop()
    assert.equal(ran, 1)
    assert.equal(await kernel.call('svc.ping'), 'svc', 'accepted while the hook runs')
    assert.equal(kernel.stop(), stopped, 'a second stop is the same stop')
    hook.resolve()
    await stopped
    assert.equal(ran, 1)
    assert.equal((await rejectionOf(kernel.call('svc.ping'))).code, 'UNAVAILABLE')
  })

  it('a hook that fails is logged and the stop goes on; one that never settles is cut at the drain timeout', async () => {
    const kernel = quietKernel({ drainTimeout: 100 }).add(recorder([], 'svc'))
    await kernel.start()
    kernel.beforeStop(() => {
      throw new Error('boom')
    })
    kernel.beforeStop(() => new Promise(() => {}))
    const removed = kernel.beforeStop(() => assert.fail('a removed hook does not run'))
    removed()
    await kernel.stop()
    assert.equal(kernel.state, 'stopped')
  })
})
