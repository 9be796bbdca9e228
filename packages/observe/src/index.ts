/**
 * @plexus/observe — Prometheus metrics read from the kernel's own figures at scrape time (the
 * message path pays nothing), served on the gateway or on a port of their own.
 *
 * @example
 * import { gateway } from '@plexus/gateway'
 * import { metricsEndpoint } from '@plexus/observe'
 * const kernel = createKernel({
 *   plugins: [gateway({ port: 8080, endpoints: { '/metrics': metricsEndpoint() } })],
 * })
 */

/** A registry over a kernel's figures (build your own endpoint, or add your own metrics). */
export { createMetrics, type MetricsOptions, type PlexusMetrics } from './kernel-metrics.js'
/** The gateway's `/metrics` endpoint. */
export {
  metricsEndpoint,
  type MetricsEndpointContext,
  type MetricsEndpointOptions,
} from './metrics-endpoint.js'
/** The stand-alone metrics plug-in (a kernel without a gateway). */
export { metrics, type MetricsPlugin, type MetricsPluginOptions } from './metrics-plugin.js'
/** The gateway figures the metrics read. */
export type { EdgeFigures } from './edge-figures.js'
/** OpenTelemetry tracing (calls, events, streams), W3C trace context in `ctx.meta`; off unless added. */
export { tracing, type TracingOptions } from './tracing-plugin.js'
export { tracingInterceptor } from './tracing-interceptor.js'
/** A logger whose children inside traced handlers carry `trace_id` / `span_id`. */
export { tracedLogger } from './trace-logger.js'
/** Spans for the requests the gateway's legacy façade forwards (`traceparent` upstream). */
export { legacyTracing, type ForwardedRequest, type ForwardSpan } from './legacy-tracing.js'
/** W3C `traceparent` parsing and formatting. */
export { formatTraceparent, parseTraceparent } from './trace-context.js'
