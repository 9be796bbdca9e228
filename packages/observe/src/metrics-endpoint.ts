import type { Kernel } from '@plexus/kernel'
import type { EdgeFigures } from './edge-figures.js'
import { createMetrics, type PlexusMetrics } from './kernel-metrics.js'

/** What the gateway hands an extra endpoint (structurally `@plexus/gateway`'s `EndpointContext`). */
export interface MetricsEndpointContext {
  readonly kernel: Kernel<any>
  stats(): EdgeFigures
}

/** Settings of the gateway's metrics endpoint. */
export interface MetricsEndpointOptions {
  /** Node's process metrics too (default true). */
  defaultMetrics?: boolean
}

/**
 * A `/metrics` endpoint for the gateway: the kernel's series plus the gateway's own.
 * @example
 * gateway({ port: 8080, endpoints: { '/metrics': metricsEndpoint() } })
 */
export function metricsEndpoint(
  options: MetricsEndpointOptions = {},
): (context: MetricsEndpointContext) => Promise<{ type: string; body: string }> {
  // Built on the first scrape: only then is the gateway's kernel known.
  let metrics: PlexusMetrics | undefined
  return async (context) => {
    metrics ??= createMetrics(context.kernel, {
      ...(options.defaultMetrics === undefined ? {} : { defaultMetrics: options.defaultMetrics }),
      edge: () => context.stats(),
    })
    return { type: metrics.contentType, body: await metrics.scrape() }
  }
}
