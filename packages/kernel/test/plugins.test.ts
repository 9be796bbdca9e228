import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { definePlugin, defineService, type Kernel } from '@plexus/kernel'
import { quietKernel, rejectionOf } from './helpers.js'

const plugin = (log: string[], name: string, dependsOn: string[] = []) =>
  definePlugin<Kernel<any>>({
    name,
    dependsOn,
    setup: () => {
      log.push(`setup ${name}`)
      return () => void log.push(`teardown ${name}`)
    },
  })

describe('plug-ins', () => {
  it('loads plug-ins dependencies first and tears them down in reverse order', async () => {
    const log: string[] = []
    const kernel = quietKernel({
      plugins: [
        plugin(log, 'metrics', ['transport']),
        plugin(log, 'transport'),
        plugin(log, 'gateway', ['metrics']),
      ],
    })
    await kernel.start()
    assert.deepEqual(log, ['setup transport', 'setup metrics', 'setup gateway'])
    await kernel.stop()
    assert.deepEqual(log.slice(3), ['teardown gateway', 'teardown metrics', 'teardown transport'])
  })

  it('lets a plug-in add services and interceptors through the public kernel API', async () => {
    let intercepted = 0
    const kernel = quietKernel({
      plugins: [
        definePlugin<Kernel<any>>({
          name: 'health',
          setup: (k) => {
            k.add(defineService({ name: 'health', actions: { check: () => 'ok' } }))
            k.intercept({
              name: 'count',
              call: (next) => (a, i, o, c) => (intercepted++, next(a, i, o, c)),
            })
          },
        }),
      ],
    })
    await kernel.start()
    assert.equal(await (kernel as Kernel<any>).call('health.check'), 'ok')
    assert.equal(intercepted, 1)
    await kernel.stop()
  })

  it('rejects each bad plug-in set with its own code before anything loads', async () => {
    assert.throws(() => quietKernel({ plugins: [{ name: '', setup: () => {} }] }), {
      code: 'INVALID_PLUGIN',
    })
    assert.throws(() => quietKernel({ plugins: [{ name: 'x' } as never] }), {
      code: 'INVALID_PLUGIN',
    })
    assert.throws(() => quietKernel({ plugins: [plugin([], 'x'), plugin([], 'x')] }), {
      code: 'DUPLICATE_PLUGIN',
    })
    const log: string[] = []
    const missing = quietKernel({ plugins: [plugin(log, 'a', ['ghost'])] })
    const m = await rejectionOf(missing.start())
    assert.equal(m.code, 'MISSING_PLUGIN')
    assert.match(m.message, /'a'.*'ghost'/)
    const cyclic = quietKernel({ plugins: [plugin(log, 'a', ['b']), plugin(log, 'b', ['a'])] })
    const c = await rejectionOf(cyclic.start())
    assert.equal(c.code, 'PLUGIN_CYCLE')
    assert.match(c.message, /a -> b -> a/)
    assert.deepEqual(log, [], 'no setup ran')
  })

  it('fails start with PLUGIN_TIMEOUT when a setup hangs past its timeout', async () => {
    const kernel = quietKernel({
      plugins: [
        definePlugin({ name: 'slow', timeout: 20, setup: () => new Promise<void>(() => {}) }),
      ],
    })
    assert.equal((await rejectionOf(kernel.start())).code, 'PLUGIN_TIMEOUT')
  })
})
