import {
  ROOT_CONTEXT,
  trace,
  type Context as OtelContext,
  type SpanContext,
} from '@opentelemetry/api'

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * Parses a W3C `traceparent` (version 00: `00-<trace id>-<parent id>-<flags>`, lower-case hex,
 * all-zero ids invalid) into a remote span context; anything else gives undefined.
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined
  const match = TRACEPARENT.exec(value)
  if (match === null || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
  }
}

/** The W3C `traceparent` of a span context. */
export function formatTraceparent(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`
}

/** An OpenTelemetry parent context from a `traceparent`, or the root when there is none. */
export function parentFrom(traceparent: unknown): OtelContext {
  const remote = parseTraceparent(traceparent)
  return remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote)
}
