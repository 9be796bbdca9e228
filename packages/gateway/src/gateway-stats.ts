/** Figures the gateway keeps about its own traffic; the dashboard shows them. */
export interface GatewayStats {
  /** HTTP requests received (aliases, façade, dashboard). */
  requests: number
  /** HTTP requests being answered now. */
  inFlight: number
  /** Answers with a 4xx status. */
  clientErrors: number
  /** Answers with a 5xx status. */
  serverErrors: number
  /** Streams open now, over HTTP or WebSocket. */
  openStreams: number
  /** WebSocket connections open now. */
  sockets: number
  /** WebSocket clients cut off for not reading fast enough. */
  slowClientsCut: number
  /** Messages not delivered because their client was cut off or gone. */
  droppedMessages: number
  /** Requests proxied to the legacy upstream, total and per route. */
  proxied: { total: number; routes: Record<string, number> }
}

/** Mutable counters behind `GatewayStats`. */
export class GatewayCounters {
  requests = 0
  inFlight = 0
  clientErrors = 0
  serverErrors = 0
  openStreams = 0
  sockets = 0
  slowClientsCut = 0
  droppedMessages = 0
}
