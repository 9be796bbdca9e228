import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import type { WebSocket } from 'ws'
import type { GatewayCounters } from './gateway-stats.js'
import type { Kernel } from '@plexus/kernel'
import type { ResolvedOptions } from './options.js'
import type { TopicHub } from './topic-hub.js'
import { WsSession } from './ws-session.js'

/** Registers the WebSocket plug-in and the client endpoint; `extra` adds more socket routes. */
export function registerWebSocket(
  app: FastifyInstance,
  config: ResolvedOptions,
  deps: { kernel: Kernel; hub: TopicHub | undefined; counters: GatewayCounters },
  extra: (scope: FastifyInstance) => void,
): void {
  const ws = config.websocket
  void app.register(fastifyWebsocket, {
    options: {
      // ws accepts 100 MiB frames by default; a bigger frame now closes the socket with 1009.
      maxPayload: ws === false ? 1024 * 1024 : ws.maxPayload,
      perMessageDeflate: false,
    },
  })
  void app.register(async (scope) => {
    extra(scope)
    if (ws === false) return
    const actions = new Set(ws.actions)
    const streams = new Set(ws.streams)
    scope.get(ws.path, { websocket: true }, (socket: WebSocket, request: FastifyRequest) => {
      new WsSession(socket, {
        kernel: deps.kernel,
        hub: deps.hub,
        actions,
        streams,
        topics: ws.topics,
        meta: { requestId: request.id },
        deadline: config.deadline,
        statuses: config.statuses,
        counters: deps.counters,
        maxBufferedBytes: ws.maxBufferedBytes,
        maxInFlight: ws.maxInFlight,
        closeGrace: 1000,
      })
    })
  })
}
