/**
 * The gateway's own figures, as the metrics read them. The shape matches `@plexus/gateway`'s
 * `GatewayStats` structurally, so observe needs no dependency on the gateway.
 */
export interface EdgeFigures {
  /** HTTP requests received. */
  readonly requests: number
  /** HTTP requests being answered now. */
  readonly inFlight: number
  /** Answers with a 4xx status. */
  readonly clientErrors: number
  /** Answers with a 5xx status. */
  readonly serverErrors: number
  /** Streams open now, over HTTP or WebSocket. */
  readonly openStreams: number
  /** WebSocket connections open now. */
  readonly sockets: number
  /** WebSocket clients cut off for not reading fast enough. */
  readonly slowClientsCut: number
  /** Messages not delivered because their client was cut off or gone. */
  readonly droppedMessages: number
}
