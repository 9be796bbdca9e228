import type { FastifyInstance } from 'fastify'
import type { Kernel } from '@plexus/kernel'
import type { EndpointContext, GatewayEndpoint } from './endpoint.js'
import type { GatewayStats } from './gateway-stats.js'
import { readiness, type HealthOptions } from './health.js'
import type { Route } from './route-table.js'

/** What the probes and extra endpoints read. */
export interface EndpointSources {
  kernel: Kernel<any>
  stats: () => GatewayStats
  routes: readonly Route[]
  health: Required<HealthOptions> | false
  endpoints: Readonly<Record<string, GatewayEndpoint>>
  draining: () => boolean
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Registers the health probes and the extra endpoints as GET routes marked `endpoint`, which
 * the drain lets through: a prober must see readiness turn false, and a scraper the last figures.
 */
export function registerEndpoints(app: FastifyInstance, sources: EndpointSources): void {
  const config = { endpoint: true }
  if (sources.health !== false) {
    app.get(sources.health.live, { config }, async (_request, reply) =>
      reply.code(200).type(JSON_TYPE).send('{"status":"alive"}'),
    )
    app.get(sources.health.ready, { config }, async (_request, reply) => {
      const verdict = readiness(sources.kernel, sources.draining())
      const body = verdict.ready
        ? { status: 'ready' }
        : { status: 'not ready', reasons: verdict.reasons }
      return reply
        .code(verdict.ready ? 200 : 503)
        .type(JSON_TYPE)
        .send(JSON.stringify(body))
    })
  }
  for (const [path, endpoint] of Object.entries(sources.endpoints)) {
    app.get(path, { config }, async (request, reply) => {
      const context: EndpointContext = {
        kernel: sources.kernel,
        stats: sources.stats,
        routes: sources.routes,
        query: request.query as Record<string, unknown>,
      }
      const answer = await endpoint(context)
      return reply
        .code(answer.status ?? 200)
        .type(answer.type)
        .send(answer.body)
    })
  }
}
