import type { GatewayEndpoint } from './endpoint.js'
import type { Rule } from '@plexus/auth'
import type { GatewayAuthOptions } from './edge-auth.js'
import type { RateLimitOptions } from './edge-limits.js'
import type { HealthOptions } from './health.js'
import type { LegacyOptions } from './legacy-proxy.js'
import type { OpenApiOptions } from './openapi.js'
import { parseRoutes, type Route, type RouteTable } from './route-table.js'
import { PlexusError } from '@plexus/kernel'

/** Cross-origin access for browsers; off unless configured. */
export interface CorsOptions {
  /** Allowed origins: a list, one origin, or `true` to reflect any origin. */
  origin: string | readonly string[] | true
  /** Whether cookies and auth headers may be sent (default false). */
  credentials?: boolean
  /** Seconds a preflight answer may be cached. */
  maxAge?: number
}

/** The WebSocket endpoint: calls, streams and event subscriptions over one socket. */
export interface WebSocketOptions {
  /** Path of the endpoint (default `/ws`). */
  path?: string
  /** Actions callable over the socket (default: every action a route aliases). */
  actions?: readonly string[]
  /** Streams openable over the socket (default: every stream a route aliases). */
  streams?: readonly string[]
  /** Event topic patterns clients may subscribe to (default none). */
  topics?: readonly string[]
  /** Largest accepted frame in bytes; bigger ones close the socket with 1009 (default 1 MiB). */
  maxPayload?: number
  /** Unsent bytes a client may owe before it is cut off as a slow consumer (default 1 MiB). */
  maxBufferedBytes?: number
  /** Calls and streams one socket may have in flight at once (default 64). */
  maxInFlight?: number
}

/**
 * Links from the dashboard to a trace UI (Jaeger, Tempo, Zipkin...), for when tracing is on.
 * Values are URL-encoded into the templates.
 */
export interface TraceLinkOptions {
  /** One trace's page; `{traceId}` is replaced, e.g. `http://localhost:16686/trace/{traceId}`. */
  trace: string
  /** A service's traces; `{service}` is replaced, e.g. `http://localhost:16686/search?service={service}`. */
  service?: string
}

/** The live dashboard page. */
export interface DashboardOptions {
  /** Path of the page (default `/_plexus`). */
  path?: string
  /** When set, the page and its socket require `?token=` or `Authorization: Bearer`. */
  token?: string
  /**
   * Open to anyone even when the gateway has `auth` (default false: with `auth`, the page, its
   * snapshot and its socket need a verified token, or `token`). `plexus dev` sets it.
   */
  public?: boolean
  /** Which verified principals may view, as a policy rule (default: any verified token). */
  viewers?: Rule
  /** Milliseconds between pushed snapshots (default 1000). */
  interval?: number
  /**
   * Trace-UI links: recent events emitted inside a traced call link to their trace, services
   * to their traces. Off unless set.
   */
  traceLinks?: TraceLinkOptions
}

/** Everything the gateway can be told; every field has a safe default. */
export interface GatewayOptions {
  /** Plug-in name; the gateway's event service is `<name>-events` (default `gateway`). */
  name?: string
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string
  /** Port to listen on; 0 picks a free one (default 3000). */
  port?: number
  /** Route aliases; nothing is reachable over HTTP unless listed here. */
  routes?: RouteTable
  /** Allow routes to internal addresses (`$...`, `_...`); off by default. */
  exposeInternal?: boolean
  /** Largest request body in bytes, answered 413 beyond (default 1 MiB). */
  bodyLimit?: number
  /** Largest request head in bytes, answered 431 beyond (default 16 KiB). */
  maxHeaderSize?: number
  /** Milliseconds a client has to send its request head (slowloris; default 10 s). */
  headersTimeout?: number
  /** Milliseconds a client has to send its whole request (default 30 s). */
  requestTimeout?: number
  /** Milliseconds an idle keep-alive connection stays open (default 5 s). */
  keepAliveTimeout?: number
  /** How often the server sweeps for connections past those timeouts (default 1 s). */
  connectionsCheckingInterval?: number
  /** Deadline in milliseconds of each call made for a request (default: the kernel's). */
  deadline?: number
  /** Header carrying the request id in and out (default `x-request-id`). */
  requestIdHeader?: string
  /** Request headers copied into `ctx.meta.headers` (lower-case names; default none). */
  metaHeaders?: readonly string[]
  /** HTTP status per error code, over the defaults. */
  statuses?: Readonly<Record<string, number>>
  /** Cross-origin access; off by default. */
  cors?: CorsOptions | false
  /** The WebSocket endpoint; on by default, `false` turns it off. */
  websocket?: WebSocketOptions | false
  /** The strangler façade: unmatched routes go to this upstream instead of a 404. */
  legacy?: LegacyOptions
  /** The dashboard: on by default only when NODE_ENV is `development`. */
  dashboard?: DashboardOptions | boolean
  /** Health probes `/healthz` and `/readyz`; on by default, `false` turns them off. */
  health?: HealthOptions | boolean
  /**
   * Milliseconds between readiness turning false and new requests being refused, once draining
   * (default 0). Behind a load balancer that polls `/readyz`, set a few probe periods.
   */
  drainDelay?: number
  /** The OpenAPI document and its readable page; off by default, `true` for the defaults. */
  openapi?: OpenApiOptions | boolean
  /** Extra GET endpoints by path (`/metrics`, `/openapi.json`); answered while draining too. */
  endpoints?: Readonly<Record<string, GatewayEndpoint>>
  /** Bearer-token authentication; off unless set (then every route needs a token unless public). */
  auth?: GatewayAuthOptions
  /** Per-client request limits answered 429; off unless set. */
  rateLimit?: RateLimitOptions | false
  /** Security headers on every answer (`nosniff`, `DENY` framing...); on by default. */
  securityHeaders?: boolean
}

const MiB = 1024 * 1024

/** Options with every default filled in. */
export interface ResolvedOptions {
  name: string
  host: string
  port: number
  routes: readonly Route[]
  bodyLimit: number
  maxHeaderSize: number
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  connectionsCheckingInterval: number
  deadline: number | undefined
  requestIdHeader: string
  metaHeaders: readonly string[]
  statuses: Readonly<Record<string, number>>
  cors: CorsOptions | false
  websocket: Required<WebSocketOptions> | false
  legacy: LegacyOptions | undefined
  dashboard:
    | (Required<Omit<DashboardOptions, 'token' | 'traceLinks' | 'viewers'>> & {
        token: string | undefined
        traceLinks: TraceLinkOptions | undefined
        viewers: Rule | undefined
      })
    | false
  health: Required<HealthOptions> | false
  drainDelay: number
  openapi: Required<OpenApiOptions> | false
  endpoints: Readonly<Record<string, GatewayEndpoint>>
  auth: GatewayAuthOptions | undefined
  rateLimit: RateLimitOptions | false
  securityHeaders: boolean
}

/** Fills in defaults; `env` decides whether the dashboard is on when not configured. */
export function resolveOptions(
  options: GatewayOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedOptions {
  const ws = options.websocket
  const routes = parseRoutes(options.routes ?? {}, options.exposeInternal ?? false)
  const aliased = (kind: Route['kind']): string[] =>
    routes.filter((r) => r.kind === kind).map((r) => r.address)
  const dash = options.dashboard ?? env['NODE_ENV'] === 'development'
  return {
    name: options.name ?? 'gateway',
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 3000,
    routes,
    bodyLimit: options.bodyLimit ?? MiB,
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    headersTimeout: options.headersTimeout ?? 10_000,
    requestTimeout: options.requestTimeout ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeout ?? 5_000,
    connectionsCheckingInterval: options.connectionsCheckingInterval ?? 1_000,
    deadline: options.deadline,
    requestIdHeader: (options.requestIdHeader ?? 'x-request-id').toLowerCase(),
    metaHeaders: (options.metaHeaders ?? []).map((h) => h.toLowerCase()),
    statuses: options.statuses ?? {},
    cors: options.cors ?? false,
    websocket:
      ws === false
        ? false
        : {
            path: ws?.path ?? '/ws',
            actions: ws?.actions ?? aliased('call'),
            streams: ws?.streams ?? aliased('stream'),
            topics: ws?.topics ?? [],
            maxPayload: ws?.maxPayload ?? MiB,
            maxBufferedBytes: ws?.maxBufferedBytes ?? MiB,
            maxInFlight: ws?.maxInFlight ?? 64,
          },
    legacy: options.legacy,
    dashboard:
      dash === false
        ? false
        : {
            path: (dash === true ? undefined : dash.path) ?? '/_plexus',
            token: dash === true ? undefined : dash.token,
            public: dash === true ? false : (dash.public ?? false),
            viewers: dash === true ? undefined : dash.viewers,
            interval: (dash === true ? undefined : dash.interval) ?? 1000,
            traceLinks: traceLinks(dash === true ? undefined : dash.traceLinks),
          },
    health:
      options.health === false
        ? false
        : {
            live: (options.health === true ? undefined : options.health?.live) ?? '/healthz',
            ready: (options.health === true ? undefined : options.health?.ready) ?? '/readyz',
          },
    drainDelay: options.drainDelay ?? 0,
    openapi: resolveOpenApi(options.openapi),
    endpoints: options.endpoints ?? {},
    auth: options.auth,
    rateLimit: options.rateLimit ?? false,
    securityHeaders: options.securityHeaders ?? true,
  }
}

function traceLinks(links: TraceLinkOptions | undefined): TraceLinkOptions | undefined {
  if (links === undefined) return undefined
  // The page puts these in hrefs: only web URLs, never `javascript:`.
  for (const [key, url] of Object.entries(links)) {
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//i.test(url))) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `dashboard.traceLinks.${key} must be an http(s) URL template, got ${JSON.stringify(url)}`,
      )
    }
  }
  if (!links.trace.includes('{traceId}')) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'dashboard.traceLinks.trace needs a {traceId} placeholder',
    )
  }
  if (links.service !== undefined && !links.service.includes('{service}')) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'dashboard.traceLinks.service needs a {service} placeholder',
    )
  }
  return { ...links }
}

function resolveOpenApi(
  option: OpenApiOptions | boolean | undefined,
): Required<OpenApiOptions> | false {
  if (option === undefined || option === false) return false
  const o = option === true ? {} : option
  return {
    path: o.path ?? '/openapi.json',
    page: o.page ?? '/docs',
    title: o.title ?? 'Plexus API',
    version: o.version ?? '0.0.0',
  }
}
