// Traces of streams (a span per side, open until the stream ends, items counted), log lines that
// name the span of the handler writing them, and the legacy façade sending its span upstream —
// exported over OTLP/HTTP to a receiver in the test.
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { describe, it } from 'node:test'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { gateway } from '@plexus/gateway'
import {
  createKernel,
  defineService,
  PlexusError,
  silentLogger,
  type LogFields,
  type Logger,
} from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import { legacyTracing, tracedLogger, tracing } from '@plexus/observe'
import { until } from '@plexus/testing'
import chatty from './fixtures/traced-logger.js'
import { KIND, startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CLIENT_SPAN = '00f067aa0ba902b7'

const numbers = defineService({
  name: 'numbers',
  streams: {
    count: async function* (_ctx, { n, failAt }: { n: number; failAt?: number }) {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new PlexusError('FORBIDDEN', `no ${i}`)
        yield i
      }
    },
  },
})

/** A logger that keeps every line with its bindings, as a log pipeline would see them. */
function recordingLogger(lines: LogFields[], bindings: LogFields = {}): Logger {
  const write = (fields: LogFields, msg: string) => void lines.push({ ...bindings, ...fields, msg })
  return {
    debug: write,
    info: write,
    warn: write,
    error: write,
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  }
}

async function traced(t: { after(fn: () => Promise<void>): void }, options = {}) {
  const receiver = await startOtlpReceiver()
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: receiver.url }))],
  })
  t.after(async () => {
    await provider.shutdown()
    await receiver.close()
  })
  const spans = async (n: number): Promise<ReceivedSpan[]> => {
    await provider.forceFlush()
    return until(`${n} spans at the receiver`, () =>
      receiver.spans.length >= n ? receiver.spans : undefined,
    )
  }
  return { provider, spans, ...options }
}

describe('tracing streams', () => {
  it('makes a CLIENT and a SERVER span per stream, open until it is done, with its items counted', async (t) => {
    const { provider, spans } = await traced(t)
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [tracing({ tracerProvider: provider })],
    }).add(numbers)
    await kernel.start()
    t.after(() => kernel.stop())
    const items: unknown[] = []
    for await (const item of kernel.stream(
      'numbers.count',
      { n: 5 },
      {
        meta: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
      },
    ))
      items.push(item)
    assert.deepEqual(items, [0, 1, 2, 3, 4])
    const got = await spans(2)
    assert.equal(got.length, 2)
    const client = got.find((s) => s.kind === KIND.CLIENT)!
    const server = got.find((s) => s.kind === KIND.SERVER)!
    assert.equal(client.name, 'numbers.count')
    assert.equal(server.name, 'numbers.count')
    assert.equal(client.traceId, TRACE)
    assert.equal(client.parentSpanId, CLIENT_SPAN)
    assert.equal(server.parentSpanId, client.spanId)
    assert.equal(client.attributes['plexus.stream.items'], 5)
    assert.equal(server.attributes['plexus.stream.items'], 5)
    assert.equal(server.attributes['plexus.stream.kind'], 'stream')
  })

  it('ends both spans when the consumer stops early, and marks a failed stream with its code', async (t) => {
    const { provider, spans } = await traced(t)
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [tracing({ tracerProvider: provider })],
    }).add(numbers)
    await kernel.start()
    t.after(() => kernel.stop())
    for await (const item of kernel.stream('numbers.count', { n: 100 })) if (item === 1) break
    const early = await spans(2)
    assert.deepEqual(
      early.map((s) => s.attributes['plexus.stream.items']),
      [2, 2],
      'two items each side, then closed',
    )
    const failing = async () => {
      for await (const _ of kernel.stream('numbers.count', { n: 5, failAt: 3 }));
    }
    await assert.rejects(failing, { code: 'FORBIDDEN' })
    const all = await spans(4)
    const failed = all.slice(2)
    assert.equal(failed.length, 2)
    for (const s of failed) {
      assert.equal(s.status.code, 2, 'status ERROR')
      assert.equal(s.attributes['error.type'], 'FORBIDDEN')
      assert.equal(s.attributes['plexus.stream.items'], 3)
    }
  })
})

describe('log lines inside a traced handler', () => {
  it("carry the trace_id and span_id of the handler's own span, after an await and in a nested call", async (t) => {
    const { provider, spans } = await traced(t)
    const lines: LogFields[] = []
    const shop = defineService({
      name: 'shop',
      actions: {
        buy: async (ctx) => {
          await new Promise((resolve) => setImmediate(resolve))
          ctx.logger.info({}, 'buying')
          await ctx.call('shop.pay')
          ctx.logger.info({}, 'bought')
        },
        pay: (ctx) => ctx.logger.info({}, 'paying'),
      },
    })
    const kernel = createKernel({
      logger: tracedLogger(recordingLogger(lines)),
      plugins: [tracing({ tracerProvider: provider })],
    }).add(shop)
    await kernel.start()
    t.after(() => kernel.stop())
    await kernel.call('shop.buy', undefined, {
      meta: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
    })
    const got = await spans(4)
    const server = (name: string) => got.find((s) => s.kind === KIND.SERVER && s.name === name)!
    const byMsg = (msg: string) => lines.find((l) => l.msg === msg)!
    for (const [msg, span] of [
      ['buying', server('shop.buy')],
      ['bought', server('shop.buy')],
      ['paying', server('shop.pay')],
    ] as const) {
      assert.equal(byMsg(msg).trace_id, TRACE, msg)
      assert.equal(byMsg(msg).span_id, span.spanId, msg)
      assert.equal(byMsg(msg).action, msg === 'paying' ? 'pay' : 'buy')
    }
    // The kernel's own lines (no handler) carry no span.
    const own = lines.filter((l) => l.msg === 'Service started')
    assert.ok(own.length > 0 && own.every((l) => l.span_id === undefined))
  })

  for (const placement of ['worker', 'process'] as const) {
    it(`carry them from a handler in a ${placement} guest too (its logger reads the span in meta)`, async (t) => {
      const { provider, spans } = await traced(t)
      const kernel = installIsolation(
        createKernel({ logger: silentLogger, plugins: [tracing({ tracerProvider: provider })] }),
      )
      kernel.add(chatty, {
        placement,
        module: new URL('./fixtures/traced-logger.ts', import.meta.url).href,
      })
      await kernel.start()
      t.after(() => kernel.stop())
      // The guest's console logger writes JSON lines to its stderr, which reaches this
      // process's stderr (a worker's through Node, a child's forwarded by the link): read them.
      const written: string[] = []
      const write = process.stderr.write.bind(process.stderr)
      const capture = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
        written.push(String(chunk))
        return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest)
      }
      process.stderr.write = capture
      t.after(() => {
        process.stderr.write = write
      })
      const word = `w${placement}`
      await kernel.call(
        'chatty.say',
        { word },
        { meta: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` } },
      )
      const line = await until('the guest log line', () =>
        written
          .join('')
          .split('\n')
          .find((l) => l.includes(`chatty says ${word}`)),
      )
      const record = JSON.parse(line) as Record<string, unknown>
      const server = (await spans(2)).find((s) => s.kind === KIND.SERVER)!
      assert.equal(record['trace_id'], TRACE)
      assert.equal(record['span_id'], server.spanId)
      assert.equal(record['word'], word)
    })
  }

  it('are left alone without the tracing plug-in', async () => {
    const lines: LogFields[] = []
    const kernel = createKernel({ logger: tracedLogger(recordingLogger(lines)) }).add(
      defineService({ name: 'quiet', actions: { say: (ctx) => ctx.logger.info({}, 'said') } }),
    )
    await kernel.start()
    await kernel.call('quiet.say')
    await kernel.stop()
    const said = lines.find((l) => l.msg === 'said')!
    assert.equal(said.service, 'quiet')
    assert.equal(said.trace_id, undefined)
  })
})

describe("the legacy façade's upstream requests", () => {
  it('carry a traceparent naming their own CLIENT span, child of the incoming one', async (t) => {
    const { provider, spans } = await traced(t)
    const seen: IncomingHttpHeaders[] = []
    const legacy = createServer((req, res) => {
      seen.push(req.headers)
      res.writeHead(req.url === '/broken' ? 502 : 200).end('old')
    })
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve))
    t.after(
      () =>
        new Promise<void>((resolve) => {
          legacy.closeAllConnections()
          legacy.close(() => resolve())
        }),
    )
    const upstream = `http://127.0.0.1:${(legacy.address() as { port: number }).port}`
    const gw = gateway({
      port: 0,
      websocket: false,
      legacy: { upstream, trace: legacyTracing(provider) },
    })
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [tracing({ tracerProvider: provider }), gw],
    })
    await kernel.start()
    t.after(() => kernel.stop())
    const base = `http://127.0.0.1:${(gw.instance!.server.address() as { port: number }).port}`

    const joined = await fetch(`${base}/old/page?x=1`, {
      headers: { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` },
    })
    assert.equal(joined.status, 200)
    await joined.text()
    const [first] = await spans(1)
    assert.equal(first!.kind, KIND.CLIENT)
    assert.equal(first!.traceId, TRACE)
    assert.equal(first!.parentSpanId, CLIENT_SPAN)
    assert.equal(first!.attributes['http.response.status_code'], 200)
    assert.equal(first!.attributes['url.full'], `${upstream}/old/page`)
    assert.equal(seen[0]!['traceparent'], `00-${TRACE}-${first!.spanId}-01`)

    // No incoming trace: the façade starts one, and a 5xx marks the span.
    const fresh = await fetch(`${base}/broken`)
    assert.equal(fresh.status, 502)
    await fresh.text()
    const second = (await spans(2))[1]!
    assert.equal(second.parentSpanId ?? '', '')
    assert.notEqual(second.traceId, TRACE)
    assert.equal(second.status.code, 2)
    assert.equal(seen[1]!['traceparent'], `00-${second.traceId}-${second.spanId}-01`)
  })
})
