// A real prometheus server scrapes a kernel behind the gateway; the series are read back through
// prometheus' own HTTP API, as a dashboard or an alert rule would read them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { gateway } from '@plexus/gateway'
import { createKernel, defineService, PlexusError, silentLogger } from '@plexus/kernel'
import { metricsEndpoint } from '@plexus/observe'
import { rejectionOf, until } from '@plexus/testing'
import { binarySkip, PROMETHEUS, startPrometheus, type Sample } from './prometheus.js'

const shop = defineService({
  name: 'stock',
  actions: {
    read: (_ctx, { sku }: { sku: string }) => ({ sku, qty: 3 }),
    reserve: () => {
      throw new PlexusError('OVERLOADED', 'no room')
    },
  },
})

const total = (samples: Sample[]) => samples.reduce((sum, s) => sum + Number(s.value[1]), 0)

describe('prometheus scraping /metrics', { skip: binarySkip(PROMETHEUS), timeout: 120_000 }, () => {
  it('reads the kernel and gateway series back through the prometheus HTTP API', async (t) => {
    const gw = gateway({
      port: 0,
      routes: { 'GET /api/stock/:sku': 'stock.read' },
      endpoints: { '/metrics': metricsEndpoint() },
      websocket: false,
    })
    const kernel = createKernel({ logger: silentLogger, plugins: [gw] }).add(shop, { instances: 2 })
    await kernel.start()
    t.after(() => kernel.stop())
    const { port } = gw.instance!.server.address() as { port: number }
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/api/stock/tea`)
      assert.equal(response.status, 200)
    }
    for (let i = 0; i < 3; i++) await rejectionOf(kernel.call('stock.reserve'))
    kernel.emit('nobody.listens', {})

    const prometheus = await startPrometheus(`127.0.0.1:${port}`)
    t.after(() => prometheus.stop())
    const context = { ms: 60_000, context: () => prometheus.output() }
    const up = await until(
      'prometheus to scrape the gateway',
      async () => {
        const samples = await prometheus.query('up{job="plexus"}')
        return samples.length === 1 && samples[0]!.value[1] === '1' ? samples : undefined
      },
      context,
    )
    assert.equal(up[0]!.metric['instance'], `127.0.0.1:${port}`)
    const ok = await until(
      'the ok messages',
      async () => {
        const samples = await prometheus.query(
          'plexus_messages_total{service="stock",outcome="ok"}',
        )
        return samples.length === 2 ? samples : undefined
      },
      context,
    )
    assert.equal(total(ok), 7)
    assert.deepEqual(
      ok.map((s) => s.metric['placement']),
      ['inline', 'inline'],
    )
    assert.equal(
      total(await prometheus.query('plexus_messages_total{service="stock",outcome="error"}')),
      3,
    )
    assert.equal(total(await prometheus.query('plexus_events_unrouted_total')), 1)
    assert.equal(total(await prometheus.query('sum(plexus_instance_up{service="stock"})')), 2)
    // The scrapes themselves are HTTP requests: at least the 7 routed ones are counted.
    assert.ok(total(await prometheus.query('plexus_http_requests_total')) >= 7)
    assert.equal(total(await prometheus.query('plexus_kernel_state{state="running"}')), 1)
  })
})
