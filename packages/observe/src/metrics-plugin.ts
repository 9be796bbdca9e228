import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { definePlugin, PlexusError, type Kernel, type Plugin } from '@plexus/kernel'
import { createMetrics } from './kernel-metrics.js'

/** Settings of the stand-alone metrics endpoint. */
export interface MetricsPluginOptions {
  /** Port to listen on; 0 picks a free one (default 9464, the OpenTelemetry Prometheus port). */
  port?: number
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string
  /** Path of the exposition (default `/metrics`). */
  path?: string
  /** Node's process metrics too (default true). */
  defaultMetrics?: boolean
}

/** The metrics plug-in; `address` is where it listens once set up. */
export type MetricsPlugin = Plugin<Kernel<any>> & {
  readonly address: { host: string; port: number } | undefined
}

/**
 * Serves the kernel's metrics on a port of their own, for a kernel without a gateway (with one,
 * prefer `metricsEndpoint()` on the gateway). Listens when the kernel starts, closes on stop.
 * @example
 * const kernel = createKernel({ plugins: [metrics({ port: 9464 })] })
 */
export function metrics(options: MetricsPluginOptions = {}): MetricsPlugin {
  let address: { host: string; port: number } | undefined
  const path = options.path ?? '/metrics'
  const plugin = definePlugin<Kernel<any>>({
    name: 'metrics',
    async setup(kernel) {
      const registry = createMetrics(
        kernel,
        options.defaultMetrics === undefined ? {} : { defaultMetrics: options.defaultMetrics },
      )
      const server = createServer((request, response) => {
        const url = (request.url ?? '/').split('?')[0]
        if (request.method !== 'GET' || url !== path) {
          response.writeHead(404, { 'content-type': 'text/plain' }).end(`Metrics are at ${path}\n`)
          return
        }
        registry.scrape().then(
          (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
          (error: unknown) => {
            kernel.config.logger.error({ err: error }, 'Metrics scrape failed')
            response.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n')
          },
        )
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            new PlexusError(
              'UNAVAILABLE',
              `Cannot serve metrics on ${options.host ?? '127.0.0.1'}:${options.port ?? 9464}: ${error.code ?? error.message}`,
              { cause: error },
            ),
          ),
        )
        server.listen(options.port ?? 9464, options.host ?? '127.0.0.1', resolve)
      })
      const bound = server.address() as AddressInfo
      address = { host: bound.address, port: bound.port }
      return () =>
        new Promise<void>((resolve) => {
          address = undefined
          server.closeAllConnections()
          server.close(() => resolve())
        })
    },
  })
  return Object.defineProperty(plugin, 'address', {
    get: () => address,
    enumerable: true,
  }) as MetricsPlugin
}
