import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { TracerProvider } from '@opentelemetry/api'
import { definePlugin, type Kernel, type Plugin } from '@plexus/kernel'
import { spanScopeOf } from './trace-logger.js'
import { tracingInterceptor } from './tracing-interceptor.js'

/** Settings of the OTLP/HTTP tracing plug-in. */
export interface OtlpTracingOptions {
  /** The collector's traces URL (default `http://127.0.0.1:4318/v1/traces`). */
  url?: string
  /** `service.name` of the resource (default `plexus`). */
  serviceName?: string
  /** Milliseconds between batch exports (default 1000). */
  exportInterval?: number
}

/** The OTLP tracing plug-in, with its provider (for the spans of other parts: the legacy façade). */
export type OtlpTracingPlugin = Plugin<Kernel<any>> & {
  /** The provider the plug-in's spans go through; shut down when the kernel stops. */
  readonly tracerProvider: TracerProvider
}

/**
 * Tracing with its SDK included: the OpenTelemetry 2.x trace SDK exporting batches over
 * OTLP/HTTP (JSON) to a collector; the last batch is flushed when the kernel stops. What the CLI's
 * `tracing` config key turns on.
 * @example
 * createKernel({ plugins: [otlpTracing({ url: 'http://127.0.0.1:4318/v1/traces' })] })
 */
export function otlpTracing(options: OtlpTracingOptions = {}): OtlpTracingPlugin {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'plexus' }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: options.url ?? 'http://127.0.0.1:4318/v1/traces' }),
        { scheduledDelayMillis: options.exportInterval ?? 1000 },
      ),
    ],
  })
  const plugin = definePlugin<Kernel<any>>({
    name: 'tracing',
    setup(kernel) {
      const tracer = provider.getTracer('@plexus/observe')
      kernel.intercept(tracingInterceptor(tracer, spanScopeOf(kernel.config.logger)))
      return () => provider.shutdown()
    },
  })
  return Object.assign(plugin, { tracerProvider: provider })
}
