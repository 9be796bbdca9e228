// Traces of calls and events exported over OTLP/HTTP to a receiver in the test, joined to the
// trace an HTTP client started (W3C traceparent), one tree from the gateway to the last event.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { gateway } from '@plexus/gateway'
import { createKernel, defineService, PlexusError, silentLogger } from '@plexus/kernel'
import { tracing } from '@plexus/observe'
import { until } from '@plexus/testing'
import { KIND, startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CLIENT_SPAN = '00f067aa0ba902b7'

const seen: unknown[] = []
const orders = defineService({
  name: 'orders',
  actions: {
    place: async (ctx, { amount }: { amount: number }) => {
      const payment = await ctx.call<{ id: string }>('payments.charge', { amount })
      ctx.emit('orders.created', { amount })
      return { id: 'o-1', payment: payment.id }
    },
  },
})
const payments = defineService({
  name: 'payments',
  actions: {
    charge: ({ meta }, { amount }: { amount: number }) => {
      seen.push(meta['traceparent'])
      if (amount > 100) throw new PlexusError('FORBIDDEN', 'over the limit')
      return { id: 'p-1' }
    },
  },
})
const users = defineService({
  name: 'users',
  events: { 'orders.created': () => {} },
})

function tracedKernel(url: string) {
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  })
  const gw = gateway({ port: 0, routes: { 'POST /api/orders': 'orders.place' }, websocket: false })
  const kernel = createKernel({
    logger: silentLogger,
    plugins: [tracing({ tracerProvider: provider }), gw],
  })
    .add(orders)
    .add(payments)
    .add(users)
  return { kernel, gw, provider }
}

describe('tracing', () => {
  it("exports one tree over OTLP/HTTP: the HTTP caller's trace → orders → payments, and the event it emits", async (t) => {
    const receiver = await startOtlpReceiver()
    t.after(() => receiver.close())
    const { kernel, gw, provider } = tracedKernel(receiver.url)
    await kernel.start()
    t.after(async () => {
      await kernel.stop()
      await provider.shutdown()
    })
    const { port } = gw.instance!.server.address() as { port: number }
    const response = await fetch(`http://127.0.0.1:${port}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
      body: JSON.stringify({ amount: 5 }),
    })
    assert.equal(response.status, 200)
    await provider.forceFlush()
    const spans = await until('6 spans at the receiver', () =>
      receiver.spans.length >= 6 ? receiver.spans : undefined,
    )
    assert.equal(spans.length, 6)
    assert.match(receiver.requests[0]?.contentType ?? '', /^application\/json/)
    assert.ok(
      spans.every((s) => s.traceId === TRACE),
      "every span joins the caller's trace",
    )
    const one = (name: string, kind: number): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name && s.kind === kind)
      assert.equal(found.length, 1, `${name}/${kind}: ${JSON.stringify(spans)}`)
      return found[0]!
    }
    const callPlace = one('orders.place', KIND.CLIENT)
    const handlePlace = one('orders.place', KIND.SERVER)
    const callCharge = one('payments.charge', KIND.CLIENT)
    const handleCharge = one('payments.charge', KIND.SERVER)
    const produced = one('orders.created', KIND.PRODUCER)
    const consumed = one('orders.created', KIND.CONSUMER)
    assert.equal(callPlace.parentSpanId, CLIENT_SPAN)
    assert.equal(handlePlace.parentSpanId, callPlace.spanId)
    assert.equal(callCharge.parentSpanId, handlePlace.spanId)
    assert.equal(handleCharge.parentSpanId, callCharge.spanId)
    assert.equal(produced.parentSpanId, handlePlace.spanId)
    assert.equal(consumed.parentSpanId, produced.spanId)
    assert.deepEqual(
      [
        callCharge.attributes['rpc.system'],
        callCharge.attributes['rpc.service'],
        callCharge.attributes['rpc.method'],
      ],
      ['plexus', 'payments', 'charge'],
    )
    // The handler sees its own span in meta, as W3C traceparent (what a log line would carry).
    assert.equal(seen.at(-1), `00-${TRACE}-${handleCharge.spanId}-01`)
  })

  it('marks a failed call with the error code and starts a new trace without a traceparent', async (t) => {
    const receiver = await startOtlpReceiver()
    t.after(() => receiver.close())
    const { kernel, provider } = tracedKernel(receiver.url)
    await kernel.start()
    t.after(async () => {
      await kernel.stop()
      await provider.shutdown()
    })
    await assert.rejects(kernel.call('payments.charge', { amount: 500 }), { code: 'FORBIDDEN' })
    await provider.forceFlush()
    const spans = await until('2 spans', () =>
      receiver.spans.length >= 2 ? receiver.spans : undefined,
    )
    assert.equal(spans.length, 2)
    const client = spans.find((s) => s.kind === KIND.CLIENT)!
    const server = spans.find((s) => s.kind === KIND.SERVER)!
    assert.equal(client.parentSpanId ?? '', '')
    assert.equal(server.parentSpanId, client.spanId)
    assert.equal(server.traceId, client.traceId)
    for (const s of [client, server]) {
      assert.equal(s.status.code, 2, 'status ERROR')
      assert.equal(s.attributes['error.type'], 'FORBIDDEN')
    }
  })

  it('is off unless added: no span, and meta carries only what the caller sent', async () => {
    const kernel = createKernel({ logger: silentLogger }).add(payments)
    await kernel.start()
    await kernel.call('payments.charge', { amount: 1 })
    assert.equal(seen.at(-1), undefined)
    await kernel.stop()
  })
})
