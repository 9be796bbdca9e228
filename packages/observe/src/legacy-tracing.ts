import { SpanKind, SpanStatusCode, trace, type TracerProvider } from '@opentelemetry/api'
import { formatTraceparent, parentFrom } from './trace-context.js'

/** One request the gateway's legacy façade is about to forward. */
export interface ForwardedRequest {
  /** HTTP method. */
  readonly method: string
  /** The upstream URL it goes to, without the query. */
  readonly url: string
  /** The incoming request's headers (a `traceparent` there is the parent). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/** The span of one forwarded request: headers to send with it, and its end. */
export interface ForwardSpan {
  /** Added to the upstream request: `traceparent` naming this span. */
  readonly headers: Readonly<Record<string, string>>
  /** The upstream answered `status`, or failed with `error` (no answer, timeout). */
  end(status: number | undefined, error?: Error): void
}

/**
 * Traces the requests the gateway's legacy façade forwards (`legacy: { upstream, trace:
 * legacyTracing(provider) }`): a CLIENT span per request, child of the incoming `traceparent`
 * (or a new trace), whose id the upstream receives as its `traceparent`, so the old
 * application's own spans join the trace. Status ERROR for no answer or a 5xx.
 */
export function legacyTracing(
  provider?: TracerProvider,
): (request: ForwardedRequest) => ForwardSpan {
  const tracer = (provider ?? trace.getTracerProvider()).getTracer('@plexus/observe')
  return (request) => {
    const url = new URL(request.url)
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          'url.full': request.url,
          'server.address': url.hostname,
          'plexus.legacy': true,
        },
      },
      parentFrom(request.headers['traceparent']),
    )
    let open = true
    return {
      headers: { traceparent: formatTraceparent(span.spanContext()) },
      end(status, error) {
        if (!open) return
        open = false
        if (status !== undefined) span.setAttribute('http.response.status_code', status)
        if (error !== undefined) {
          span.setAttribute('error.type', (error as { code?: string }).code ?? error.name)
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
        } else if (status !== undefined && status >= 500) {
          span.setStatus({ code: SpanStatusCode.ERROR })
        }
        span.end()
      },
    }
  }
}
