import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api'
import { definePlugin, type Kernel, type Plugin } from '@plexus/kernel'
import { spanScopeOf } from './trace-logger.js'
import { tracingInterceptor } from './tracing-interceptor.js'

/** Settings of the tracing plug-in. */
export interface TracingOptions {
  /** Where spans go (default: the globally registered provider; a no-op without an SDK). */
  tracerProvider?: TracerProvider
  /** Tracer name (default `@plexus/observe`). */
  name?: string
}

/**
 * The tracing plug-in: adds the OpenTelemetry interceptor. Plexus depends on
 * `@opentelemetry/api` only; the application sets up the SDK and its exporter (OTLP/HTTP...).
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] })
 * createKernel({ plugins: [tracing({ tracerProvider: provider })] })
 */
export function tracing(options: TracingOptions = {}): Plugin<Kernel<any>> {
  return definePlugin<Kernel<any>>({
    name: 'tracing',
    setup(kernel) {
      const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
        options.name ?? '@plexus/observe',
      )
      kernel.intercept(tracingInterceptor(tracer, spanScopeOf(kernel.config.logger)))
    },
  })
}
