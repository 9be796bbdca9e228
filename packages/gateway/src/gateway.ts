import type { Server } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyCors from '@fastify/cors'
import { clientErrorHandler, assertCleanRequest, installJsonParser } from './http-hardening.js'
import { sendError } from './error-answer.js'
import { PlexusError, type Kernel } from '@plexus/kernel'
import { Dashboard } from './dashboard.js'
import { DashboardGuard } from './dashboard-guard.js'
import { kernelEventSource } from './kernel-events.js'
import { registerLegacyProxy } from './legacy-proxy.js'
import { resolveOptions, type GatewayOptions, type ResolvedOptions } from './options.js'
import { ProxyCounter } from './proxy-counter.js'
import { requestIdFrom } from './request-id.js'
import { registerRoutes } from './route-handlers.js'
import { GatewayCounters, type GatewayStats } from './gateway-stats.js'
import { TopicHub } from './topic-hub.js'
import { registerWebSocket } from './ws-endpoint.js'
import { EdgeDrain } from './edge-drain.js'
import { registerEndpoints } from './endpoints.js'
import { openApiEndpoints } from './openapi-endpoints.js'
import { EdgeAuth } from './edge-auth.js'
import { registerRateLimit, SECURITY_HEADERS } from './edge-limits.js'
import { SocketAborts } from './socket-aborts.js'
import { responseClose } from './response-close.js'

/** A running or ready-to-run gateway. */
export interface Gateway {
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<{ port: number; host: string }>
  /**
   * Turns readiness false, refuses new requests with 503 `UNAVAILABLE` (after `drainDelay`),
   * while the requests already accepted run to their answer; resolves once they have, or after
   * `ms` (default: the kernel's drain timeout). Probes and extra endpoints keep answering. Call it before
   * `kernel.stop()` so the kernel drains only what the edge accepted.
   */
  drain(ms?: number): Promise<void>
  /** True once `drain()` was called. */
  readonly draining: boolean
  /** Stops accepting, ends open sockets and streams, and releases the port. */
  close(): Promise<void>
  /** A snapshot of the gateway's own figures. */
  stats(): GatewayStats
  /** The underlying Node HTTP server (for connection-level hooks and tests). */
  readonly server: Server
}

/**
 * Builds the HTTP/WebSocket edge over a kernel.
 * @example
 * const gw = createGateway(kernel, { port: 0, routes: { 'GET /api/orders/:id': 'orders.get' } })
 * const { port } = await gw.listen()
 */
export function createGateway(typed: Kernel<any>, options: GatewayOptions = {}): Gateway {
  // Addresses come from configuration, not code: the untyped view of the kernel is the right one.
  const kernel = typed as unknown as Kernel
  const config = resolveOptions(options)
  const counters = new GatewayCounters()
  const proxied = new ProxyCounter(config.legacy?.maxRoutes)
  const app = buildServer(config)
  const ws = config.websocket
  const events =
    ws !== false && ws.topics.length > 0
      ? kernelEventSource(kernel, ws.topics, `${config.name}-events`)
      : undefined
  const hub = events === undefined ? undefined : new TopicHub(events.source)
  const stats = (): GatewayStats => ({
    ...counters,
    proxied: { total: proxied.total, routes: proxied.snapshot() },
  })
  const dashboard =
    config.dashboard === false
      ? undefined
      : new Dashboard(kernel, stats, {
          interval: config.dashboard.interval,
          traceLinks: config.dashboard.traceLinks,
          // With edge auth the dashboard is behind the same verifier, unless made public.
          guard: new DashboardGuard({ ...config.dashboard, verifier: config.auth?.verifier }),
        })
  const edge = new EdgeDrain()
  const auth = config.auth === undefined ? undefined : new EdgeAuth(config.auth)
  if (auth !== undefined) EdgeAuth.decorate(app)
  const aborts = new SocketAborts()
  const security = config.securityHeaders ? Object.entries(SECURITY_HEADERS) : []
  const idHeader = config.requestIdHeader

  const closed = responseClose(counters, edge)

  // One callback-style hook for every request, compiled once: no promise, no per-request
  // lookups. Upgraded requests are not answered over HTTP, so only plain HTTP requests count as
  // in flight, until their response closes.
  app.addHook('onRequest', (request, reply, done) => {
    counters.requests++
    if (request.headers.upgrade === undefined) {
      counters.inFlight++
      reply.raw.on('close', closed)
    }
    reply.header(idHeader, request.id)
    // Set before anything can fail, so error answers carry them too; a route setting one of
    // these itself later wins, as it did when they were added on send.
    for (const [name, value] of security) reply.header(name, value)
    try {
      assertCleanRequest(request)
    } catch (error) {
      done(error as Error)
      return
    }
    done()
  })
  // What the drain does per route is known when the route is declared: endpoints are let
  // through, streams are not waited for, every other request is counted until it answers.
  app.addHook('onRoute', (route) => {
    const flags = (route.config ?? {}) as { endpoint?: boolean; stream?: boolean }
    if (flags.endpoint === true) return
    const guard = edgeGuard(edge, flags.stream !== true)
    const own = route.onRequest
    route.onRequest = own === undefined ? [guard] : [guard, ...(Array.isArray(own) ? own : [own])]
  })
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, config))
  if (config.rateLimit !== false) registerRateLimit(app, config.rateLimit)

  if (config.cors !== false) {
    const cors = config.cors
    void app.register(fastifyCors, {
      origin:
        cors.origin === true
          ? true
          : typeof cors.origin === 'string'
            ? cors.origin
            : [...cors.origin],
      credentials: cors.credentials ?? false,
      ...(cors.maxAge === undefined ? {} : { maxAge: cors.maxAge }),
    })
  }

  registerWebSocket(app, config, { kernel, hub, counters, auth }, (scope) => {
    if (dashboard !== undefined && config.dashboard !== false) {
      dashboard.register(scope, config.dashboard.path)
    }
  })

  registerEndpoints(app, {
    kernel,
    stats,
    routes: config.routes,
    health: config.health,
    endpoints: {
      ...(config.openapi === false ? {} : openApiEndpoints(kernel, config, config.openapi)),
      ...config.endpoints,
    },
    draining: () => edge.draining,
  })

  registerRoutes(app, { kernel, config, counters, aborts, auth })

  if (config.legacy !== undefined) {
    registerLegacyProxy(
      app,
      { ...config.legacy, bodyLimit: config.bodyLimit, requestIdHeader: config.requestIdHeader },
      proxied,
    )
  } else {
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      // No route, so no route guard: a draining edge refuses here as it does on its routes.
      sendError(
        edge.refusing
          ? refusal(request, reply)
          : new PlexusError('NOT_FOUND', `No route for ${request.method} ${path}`),
        request,
        reply,
        config,
      )
    })
  }

  let closing: Promise<void> | undefined
  return {
    async listen() {
      await app.listen({ host: config.host, port: config.port })
      const address = app.server.address()
      if (address === null || typeof address === 'string') {
        throw new PlexusError('INVALID_STATE', 'The gateway is not listening on a TCP port')
      }
      return { port: address.port, host: address.address }
    },
    drain(ms = kernel.config.drainTimeout) {
      return edge.drain(ms, config.drainDelay)
    },
    get draining() {
      return edge.draining
    },
    close() {
      closing ??= (async () => {
        dashboard?.close()
        await app.close()
        hub?.close()
        await events?.stop()
      })()
      return closing
    },
    get server() {
      return app.server
    },
    stats,
  }
}

function buildServer(config: ResolvedOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    forceCloseConnections: true,
    return503OnClosing: true,
    http: {
      maxHeaderSize: config.maxHeaderSize,
      headersTimeout: config.headersTimeout,
      requestTimeout: config.requestTimeout,
      // Node sweeps for timed-out heads every 30 s by default; slowloris needs a tighter sweep.
      connectionsCheckingInterval: config.connectionsCheckingInterval,
    },
    genReqId: (raw) => requestIdFrom(raw.headers[config.requestIdHeader]),
    clientErrorHandler,
  })
  installJsonParser(app, config.bodyLimit)
  return app
}

/** The route-level hook the drain needs: refuse once refusing, else count until answered. */
function edgeGuard(
  edge: EdgeDrain,
  track: boolean,
): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  return (request, reply, done) => {
    if (edge.refusing) {
      done(refusal(request, reply))
      return
    }
    // A stream may stay open for as long as its client reads; the kernel's stop closes it.
    if (track && request.headers.upgrade === undefined) edge.track(reply.raw)
    done()
  }
}

/** The answer to a request arriving while the edge refuses: 503, and the connection closes. */
function refusal(request: FastifyRequest, reply: FastifyReply): PlexusError {
  reply.header('connection', 'close')
  return new PlexusError(
    'UNAVAILABLE',
    `The gateway is draining; not accepting ${request.method} ${request.url.split('?')[0]}`,
  )
}
