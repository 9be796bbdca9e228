import type { Kernel } from '@plexus/kernel'
import type { GatewayStats } from './gateway-stats.js'
import type { Route } from './route-table.js'

/** What an extra endpoint answers: a status (default 200), a content type and a body. */
export interface EndpointAnswer {
  status?: number
  type: string
  body: string
}

/** What an extra endpoint can read when it answers. */
export interface EndpointContext {
  /** The kernel behind the gateway. */
  readonly kernel: Kernel<any>
  /** The gateway's own figures now. */
  stats(): GatewayStats
  /** The route aliases, as parsed. */
  readonly routes: readonly Route[]
  /** The raw query string parameters of the request. */
  readonly query: Readonly<Record<string, unknown>>
}

/**
 * An extra GET endpoint the gateway serves beside its routes (metrics, API docs). It is answered
 * while the gateway drains too, so a scraper keeps seeing the process until it exits.
 */
export type GatewayEndpoint = (context: EndpointContext) => EndpointAnswer | Promise<EndpointAnswer>
