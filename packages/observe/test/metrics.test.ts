import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { gateway } from '@plexus/gateway'
import { createKernel, defineService, PlexusError, silentLogger, type Kernel } from '@plexus/kernel'
import { createMetrics, metrics, metricsEndpoint } from '@plexus/observe'
import { rejectionOf, until } from '@plexus/testing'
import { sampleOf } from './exposition.js'
import { binarySkip, PROMTOOL, promtoolCheck } from './prometheus.js'

let release: () => void = () => {}
const held = new Promise<void>((resolve) => (release = resolve))

const math = defineService({
  name: 'math',
  version: 2,
  actions: {
    add: (_ctx, { a, b }: { a: number; b: number }) => a + b,
    fail: () => {
      throw new PlexusError('UNAVAILABLE', 'not today')
    },
    hold: async () => {
      await held
      return 'released'
    },
  },
})

describe('@plexus/observe metrics', () => {
  let kernel: Kernel<any>
  let url: string
  const gw = gateway({ port: 0, endpoints: { '/metrics': metricsEndpoint() }, websocket: false })

  before(async () => {
    kernel = createKernel({ logger: silentLogger, plugins: [gw] }).add(math, { instances: 2 })
    await kernel.start()
    const address = gw.instance!.server.address() as { port: number }
    url = `http://127.0.0.1:${address.port}`
  })
  after(async () => {
    release()
    await kernel.stop()
  })

  it('serves /metrics on the gateway, read from the kernel figures at scrape time', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await kernel.call('math.add', { a: i, b: 1 }), i + 1)
    await rejectionOf(kernel.call('math.fail'))
    await rejectionOf(kernel.call('math.fail'))
    kernel.emit('nobody.listens', {})
    const holding = kernel.call('math.hold')
    const response = await fetch(`${url}/metrics`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await response.text()
    const total = (outcome: string) =>
      [`${kernel.node}/math@2#1`, `${kernel.node}/math@2#2`]
        .map(
          (id) =>
            sampleOf(text, 'plexus_messages_total', {
              service: 'math',
              version: '2',
              instance_id: id,
              outcome,
            }) ?? NaN,
        )
        .reduce((a, b) => a + b, 0)
    assert.equal(total('ok'), 5)
    assert.equal(total('error'), 2)
    const inFlight = [`${kernel.node}/math@2#1`, `${kernel.node}/math@2#2`].map(
      (id) => sampleOf(text, 'plexus_messages_in_flight', { instance_id: id }) ?? NaN,
    )
    assert.equal(inFlight[0]! + inFlight[1]!, 1)
    assert.equal(sampleOf(text, 'plexus_pending_calls'), 1)
    assert.equal(sampleOf(text, 'plexus_events_unrouted_total'), 1)
    assert.equal(sampleOf(text, 'plexus_event_errors_total'), 0)
    assert.equal(sampleOf(text, 'plexus_kernel_state', { state: 'running' }), 1)
    assert.equal(sampleOf(text, 'plexus_kernel_state', { state: 'stopping' }), 0)
    assert.equal(
      sampleOf(text, 'plexus_service_state', { service: 'math', version: '2', state: 'running' }),
      1,
    )
    assert.equal(sampleOf(text, 'plexus_service_current_version', { service: 'math' }), 2)
    assert.equal(
      sampleOf(text, 'plexus_instance_up', {
        instance_id: `${kernel.node}/math@2#1`,
        placement: 'inline',
      }),
      1,
    )
    assert.equal(
      sampleOf(text, 'plexus_instance_restarts_total', { instance_id: `${kernel.node}/math@2#1` }),
      0,
    )
    assert.equal(
      sampleOf(text, 'plexus_link_refused_total', { instance_id: `${kernel.node}/math@2#2` }),
      0,
    )
    const p99 = sampleOf(text, 'plexus_message_duration_p99_seconds', {
      instance_id: `${kernel.node}/math@2#1`,
    })
    assert.ok(p99 !== undefined && p99 >= 0 && p99 < 10, `p99 ${p99}`)
    // The gateway's own series: this scrape is the one request in flight.
    assert.equal(sampleOf(text, 'plexus_http_requests_in_flight'), 1)
    assert.ok((sampleOf(text, 'plexus_http_requests_total') ?? 0) >= 1)
    assert.ok((sampleOf(text, 'process_cpu_seconds_total') ?? -1) >= 0, 'default process metrics')
    release()
    assert.equal(await holding, 'released')
    const later = await (await fetch(`${url}/metrics`)).text()
    assert.equal(sampleOf(later, 'plexus_pending_calls'), 0)
  })

  it('passes promtool check metrics', { skip: binarySkip(PROMTOOL) }, async () => {
    const text = await (await fetch(`${url}/metrics`)).text()
    const { code, output } = promtoolCheck(text)
    assert.equal(code, 0, output)
    assert.equal(output.trim(), '', 'no lint warnings')
  })

  it('counts a failed event handler and answers nothing else than GET on its path', async () => {
    const k = createKernel({ logger: silentLogger }).add(
      defineService({
        name: 'listener',
        events: {
          'things.*': () => {
            throw new Error('boom')
          },
        },
      }),
    )
    await k.start()
    const registry = createMetrics(k, { defaultMetrics: false })
    k.emit('things.happened', {})
    await until('the event error', () => (k.counters.eventErrors === 1 ? true : undefined))
    const text = await registry.scrape()
    assert.equal(sampleOf(text, 'plexus_event_errors_total'), 1)
    assert.equal(sampleOf(text, 'process_cpu_seconds_total'), undefined, 'default metrics off')
    await k.stop()
  })

  it('serves metrics on a port of its own when there is no gateway', async () => {
    const plugin = metrics({ port: 0, defaultMetrics: false })
    const k = createKernel({ logger: silentLogger, plugins: [plugin] }).add(math)
    await k.start()
    const { port } = plugin.address!
    await k.call('math.add', { a: 1, b: 2 })
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    assert.equal(sampleOf(text, 'plexus_messages_total', { service: 'math', outcome: 'ok' }), 1)
    assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404)
    await k.stop()
    assert.equal(plugin.address, undefined)
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`))
  })
})
