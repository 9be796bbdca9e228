import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api'
import { toPlexusError, type Context, type Interceptor, type Meta } from '@plexus/kernel'
import { counted } from './traced-stream.js'
import { formatTraceparent, parentFrom } from './trace-context.js'
import type { SpanScope } from './trace-logger.js'

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function'

/**
 * OpenTelemetry spans for calls and events, with the W3C trace context carried in `ctx.meta`
 * (meta crosses every link as JSON, so a trace follows a call into a worker or a process):
 * - `call`: a CLIENT span, child of the caller's span (its `meta.traceparent`) or of an incoming
 *   `traceparent` in the call's own meta (the gateway puts the HTTP header there); the callee
 *   receives the CLIENT span's id.
 * - `handle`: a SERVER span (CONSUMER for events), child of the `traceparent` it received; it
 *   rewrites `ctx.meta.traceparent` to itself, so the handler's own calls are its children.
 * - `emit`: a PRODUCER span whose id the subscribers receive.
 * - `stream`: a CLIENT span for the consumer, a SERVER span for the producer, each open until
 *   the stream ends (done, closed or failed), with the items counted (`plexus.stream.items`).
 * With `logs` (the scope of a `tracedLogger`), each handler's `ctx.logger` carries its span's
 * `trace_id` and `span_id`. Only installed when tracing is on: off costs nothing.
 */
export function tracingInterceptor(tracer: Tracer, logs?: SpanScope): Interceptor {
  // The kernel makes ctx.logger on first read, as a child of its logger: read it here, with the
  // handler's span in scope, so the child it gets names the span.
  const bindLogger =
    logs === undefined
      ? undefined
      : (ctx: Context, span: Span): void => {
          const { traceId, spanId } = span.spanContext()
          logs.current = { trace_id: traceId, span_id: spanId }
          try {
            void ctx.logger
          } finally {
            logs.current = undefined
          }
        }
  return {
    name: 'tracing',
    call: (next) => (address, input, options, caller) => {
      const parent = options?.meta?.['traceparent'] ?? caller?.meta['traceparent']
      const span = tracer.startSpan(
        address,
        { kind: SpanKind.CLIENT, attributes: rpcAttributes(address) },
        parentFrom(parent),
      )
      const meta: Meta = { ...options?.meta, traceparent: formatTraceparent(span.spanContext()) }
      let answer: Promise<unknown>
      try {
        answer = next(address, input, { ...options, meta }, caller)
      } catch (error) {
        end(span, error)
        throw error
      }
      return answer.then(
        (value) => {
          end(span)
          return value
        },
        (error: unknown) => {
          end(span, error)
          throw error
        },
      )
    },
    emit: (next) => (topic, payload, options, caller) => {
      const parent = options?.meta?.['traceparent'] ?? caller?.meta['traceparent']
      const span = tracer.startSpan(
        topic,
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.system': 'plexus', 'messaging.destination.name': topic },
        },
        parentFrom(parent),
      )
      try {
        next(
          topic,
          payload,
          {
            ...options,
            meta: { ...options?.meta, traceparent: formatTraceparent(span.spanContext()) },
          },
          caller,
        )
        end(span)
      } catch (error) {
        end(span, error)
        throw error
      }
    },
    stream: (next) => (kind, address, input, options, caller) => {
      const parent = options?.meta?.['traceparent'] ?? caller?.meta['traceparent']
      const span = tracer.startSpan(
        address,
        {
          kind: SpanKind.CLIENT,
          attributes: { ...rpcAttributes(address), 'plexus.stream.kind': kind },
        },
        parentFrom(parent),
      )
      const meta: Meta = { ...options?.meta, traceparent: formatTraceparent(span.spanContext()) }
      let iterable: AsyncIterable<unknown>
      try {
        iterable = next(kind, address, input, { ...options, meta }, caller)
      } catch (error) {
        end(span, error)
        throw error
      }
      return counted(iterable, span, end)
    },
    handle: (next, info) => {
      if (info.kind === 'stream' || info.kind === 'channel') {
        const name = `${info.service}.${info.name}`
        const attributes = {
          ...rpcAttributes(name),
          'plexus.version': info.version,
          'plexus.stream.kind': info.kind,
        }
        return (ctx, input) => {
          const span = tracer.startSpan(
            name,
            { kind: SpanKind.SERVER, attributes },
            parentFrom(ctx.meta['traceparent']),
          )
          ctx.meta['traceparent'] = formatTraceparent(span.spanContext())
          bindLogger?.(ctx, span)
          let result: unknown
          try {
            result = next(ctx, input)
          } catch (error) {
            end(span, error)
            throw error
          }
          if (!isThenable(result)) return counted(result, span, end)
          return Promise.resolve(result).then(
            (value) => counted(value, span, end),
            (error: unknown) => {
              end(span, error)
              throw error
            },
          )
        }
      }
      const name = info.kind === 'event' ? info.name : `${info.service}.${info.name}`
      const kind = info.kind === 'event' ? SpanKind.CONSUMER : SpanKind.SERVER
      const attributes =
        info.kind === 'event'
          ? {
              'messaging.system': 'plexus',
              'plexus.service': info.service,
              'plexus.version': info.version,
            }
          : { ...rpcAttributes(name), 'plexus.version': info.version }
      return (ctx, input) => {
        const span = tracer.startSpan(
          name,
          { kind, attributes },
          parentFrom(ctx.meta['traceparent']),
        )
        ctx.meta['traceparent'] = formatTraceparent(span.spanContext())
        bindLogger?.(ctx, span)
        let result: unknown
        try {
          result = next(ctx, input)
        } catch (error) {
          end(span, error)
          throw error
        }
        if (!isThenable(result)) {
          end(span)
          return result
        }
        return Promise.resolve(result).then(
          (value) => {
            end(span)
            return value
          },
          (error: unknown) => {
            end(span, error)
            throw error
          },
        )
      }
    },
  }
}

function rpcAttributes(address: string): Record<string, string> {
  const dot = address.lastIndexOf('.')
  return {
    'rpc.system': 'plexus',
    'rpc.service': address.slice(0, dot),
    'rpc.method': address.slice(dot + 1),
  }
}

/** Ends `span`, marked with the Plexus code when `error` is given. */
function end(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const typed = toPlexusError(error)
    span.setAttribute('error.type', typed.code)
    span.setStatus({ code: SpanStatusCode.ERROR, message: typed.message })
  }
  span.end()
}
