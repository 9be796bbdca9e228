/**
 * @plexus/gateway — the HTTP and WebSocket edge of a Plexus kernel: route aliases, error
 * mapping, NDJSON/SSE streams, WebSocket calls and topics, the strangler façade and a live
 * dashboard.
 *
 * @example
 * import { createKernel } from '@plexus/kernel'
 * import { gateway } from '@plexus/gateway'
 * const kernel = createKernel({
 *   plugins: [gateway({ port: 8080, routes: { 'POST /api/orders': 'orders.create' } })],
 * })
 */

/** The gateway as a kernel plug-in. */
export { gateway, type GatewayPlugin } from './plugin.js'
/** Builds a gateway over a kernel by hand (tests, custom lifecycles). */
export { createGateway, type Gateway } from './gateway.js'
/** Configuration shapes. */
export type {
  GatewayOptions,
  CorsOptions,
  WebSocketOptions,
  DashboardOptions,
  TraceLinkOptions,
} from './options.js'
/** Route alias shapes. */
export type { RouteTable, RouteSpec, InputSource, Route } from './route-table.js'
/** Extra endpoints served beside the routes (metrics, API docs). */
export type { GatewayEndpoint, EndpointAnswer, EndpointContext } from './endpoint.js'
/** The OpenAPI document of the route table. */
export type { OpenApiOptions } from './openapi.js'
/** Health probes and the readiness rule. */
export { readiness, type HealthOptions, type Readiness } from './health.js'
/** Strangler façade options. */
export type { LegacyOptions } from './legacy-proxy.js'
/** The gateway's own figures. */
export type { GatewayStats } from './gateway-stats.js'
/** The dashboard's pushed snapshot. */
export type { DashboardSnapshot } from './dashboard.js'
/** Error-code to HTTP-status table and the error body shape. */
export { DEFAULT_STATUSES, type ErrorBody } from './http-status.js'
/** Close code sent to WebSocket clients cut off as slow consumers. */
export { SLOW_CONSUMER_CLOSE } from './ws-session.js'
/** Bearer-token authentication and per-client rate limits at the edge. */
export type { GatewayAuthOptions } from './edge-auth.js'
export { SECURITY_HEADERS, type RateLimitOptions } from './edge-limits.js'
/** Close code sent to WebSocket clients whose token expired. */
export { TOKEN_EXPIRED_CLOSE } from './ws-endpoint.js'
