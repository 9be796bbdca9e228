/**
 * @plexus/observe/otlp — tracing with the OpenTelemetry trace SDK and its OTLP/HTTP exporter
 * included (a subpath, so `@plexus/observe` alone pulls in only `@opentelemetry/api`).
 *
 * @example
 * import { otlpTracing } from '@plexus/observe/otlp'
 * createKernel({ plugins: [otlpTracing({ url: 'http://127.0.0.1:4318/v1/traces', serviceName: 'shop' })] })
 */

/** The OTLP/HTTP tracing plug-in. */
export { otlpTracing, type OtlpTracingOptions, type OtlpTracingPlugin } from './otlp-tracing.js'
