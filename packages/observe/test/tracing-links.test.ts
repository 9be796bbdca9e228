// One trace across links: gateway → orders in a worker thread → payments in a child process,
// with the trace context crossing each link in meta.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { gateway } from '@plexus/gateway'
import { installIsolation } from '@plexus/isolate'
import { createKernel, silentLogger } from '@plexus/kernel'
import { tracing } from '@plexus/observe'
import { until } from '@plexus/testing'
import orders from './fixtures/traced-orders.js'
import payments from './fixtures/traced-payments.js'
import { KIND, startOtlpReceiver } from './otlp-receiver.js'

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url).href

describe('tracing across links', { timeout: 120_000 }, () => {
  it('one tree: the HTTP caller → orders (worker) → payments (process)', async (t) => {
    const receiver = await startOtlpReceiver()
    t.after(() => receiver.close())
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: receiver.url }))],
    })
    const gw = gateway({
      port: 0,
      routes: { 'POST /api/orders': 'orders.place' },
      websocket: false,
    })
    const kernel = installIsolation(
      createKernel({ logger: silentLogger, plugins: [tracing({ tracerProvider: provider }), gw] }),
    )
    kernel.add(orders, { placement: 'worker', module: fixture('traced-orders') })
    kernel.add(payments, { placement: 'process', module: fixture('traced-payments') })
    await kernel.start()
    t.after(async () => {
      await kernel.stop()
      await provider.shutdown()
    })
    const { port } = gw.instance!.server.address() as { port: number }
    const response = await fetch(`http://127.0.0.1:${port}/api/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      },
      body: JSON.stringify({ amount: 5 }),
    })
    const body = (await response.json()) as {
      seen: string
      payment: { traceparent: string }
    }
    assert.equal(response.status, 200, JSON.stringify(body))
    await provider.forceFlush()
    const spans = await until('4 spans', () =>
      receiver.spans.length >= 4 ? receiver.spans : undefined,
    )
    assert.equal(spans.length, 4, JSON.stringify(spans))
    assert.ok(spans.every((s) => s.traceId === TRACE))
    const find = (name: string, kind: number) =>
      spans.find((s) => s.name === name && s.kind === kind)!
    const callPlace = find('orders.place', KIND.CLIENT)
    const handlePlace = find('orders.place', KIND.SERVER)
    const callCharge = find('payments.charge', KIND.CLIENT)
    const handleCharge = find('payments.charge', KIND.SERVER)
    assert.equal(callPlace.parentSpanId, 'b7ad6b7169203331')
    assert.equal(handlePlace.parentSpanId, callPlace.spanId)
    assert.equal(
      callCharge.parentSpanId,
      handlePlace.spanId,
      "the worker's call is a child of its span",
    )
    assert.equal(handleCharge.parentSpanId, callCharge.spanId)
    // Inside the worker and the child process, meta carries each one's own span.
    assert.equal(body.seen, `00-${TRACE}-${handlePlace.spanId}-01`)
    assert.equal(body.payment.traceparent, `00-${TRACE}-${handleCharge.spanId}-01`)
  })
})
