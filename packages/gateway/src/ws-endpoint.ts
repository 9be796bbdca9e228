import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import type { WebSocket } from 'ws'
import type { GatewayCounters } from './gateway-stats.js'
import type { Kernel } from '@plexus/kernel'
import type { Principal } from '@plexus/auth'
import type { ResolvedOptions } from './options.js'
import type { TopicHub } from './topic-hub.js'
import { WsSession } from './ws-session.js'
import { EdgeAuth } from './edge-auth.js'

/** Registers the WebSocket plug-in and the client endpoint; `extra` adds more socket routes. */
export function registerWebSocket(
  app: FastifyInstance,
  config: ResolvedOptions,
  deps: {
    kernel: Kernel
    hub: TopicHub | undefined
    counters: GatewayCounters
    auth: EdgeAuth | undefined
  },
  extra: (scope: FastifyInstance) => void,
): void {
  const ws = config.websocket
  void app.register(async (scope) => {
    // Registered inside this scope, the plug-in's per-request hooks (an onRequest and an
    // onResponse, and a wrapper around each handler) stay on the socket routes: the alias
    // routes pay none of them. Upgrades still reach every route through the one router.
    await scope.register(fastifyWebsocket, {
      options: {
        // ws accepts 100 MiB frames by default; a bigger frame now closes the socket with 1009.
        maxPayload: ws === false ? 1024 * 1024 : ws.maxPayload,
        perMessageDeflate: false,
      },
    })
    extra(scope)
    if (ws === false) return
    const actions = new Set(ws.actions)
    const streams = new Set(ws.streams)
    // The token is checked on the upgrade request, so a refused client gets a plain 401.
    const principals = new WeakMap<FastifyRequest, Principal>()
    const auth = deps.auth
    // Without auth the hook does nothing, so the route has one shape either way.
    const preValidation = async (request: FastifyRequest): Promise<void> => {
      if (auth === undefined) return
      const principal = await auth.principal(request, auth.publicWebSocket)
      if (principal !== undefined) principals.set(request, principal)
    }
    scope.get(
      ws.path,
      { websocket: true, preValidation },
      (socket: WebSocket, request: FastifyRequest) => {
        const principal = principals.get(request)
        closeAtExpiry(socket, principal)
        new WsSession(socket, {
          kernel: deps.kernel,
          hub: deps.hub,
          actions,
          streams,
          topics: ws.topics,
          meta: EdgeAuth.withPrincipal({ requestId: request.id }, principal),
          deadline: config.deadline,
          statuses: config.statuses,
          counters: deps.counters,
          maxBufferedBytes: ws.maxBufferedBytes,
          maxInFlight: ws.maxInFlight,
          closeGrace: 1000,
          stream: request.raw.socket,
        })
      },
    )
  })
}

/** Close code for a socket whose token expired (policy violation). */
export const TOKEN_EXPIRED_CLOSE = 1008

/** Closes `socket` (1008) at its token's `exp`: a socket lives as long as its token; the client reconnects with a fresh one. */
export function closeAtExpiry(socket: WebSocket, principal: Principal | undefined): void {
  const exp = principal?.claims['exp']
  if (typeof exp !== 'number') return
  const ms = Math.min(exp * 1000 - Date.now(), 2 ** 31 - 1)
  const timer = setTimeout(
    () => socket.close(TOKEN_EXPIRED_CLOSE, 'token expired'),
    Math.max(ms, 0),
  )
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
}
