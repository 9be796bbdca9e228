import type { FastifyInstance } from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import { PlexusError } from '@plexus/kernel'

/** Per-client request limits, answered 429 `OVERLOADED` with `retry-after`. */
export interface RateLimitOptions {
  /** Requests one client may make per window. */
  max: number
  /** Window length in milliseconds (default 60000). */
  window?: number
  /** How a client is told apart (default: its IP address). */
  key?: 'ip' | 'token'
}

/** Registers the rate limiter; probes and extra endpoints are limited like any route. */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const window = options.window ?? 60_000
  // The plug-in's global mode hooks only routes declared after it loads, and the gateway declares
  // its routes at once; a root hook calling the limiter (ready once plug-ins load) covers them all.
  let limiter: ReturnType<FastifyInstance['rateLimit']> | undefined
  app.addHook('onRequest', (request, reply) => {
    limiter ??= app.rateLimit()
    return limiter.call(app, request, reply)
  })
  void app.register(fastifyRateLimit, {
    global: false,
    max: options.max,
    timeWindow: window,
    // The token's text (not its verified subject): limiting runs before verification, cheaply.
    keyGenerator: (request) =>
      options.key === 'token' && typeof request.headers.authorization === 'string'
        ? request.headers.authorization
        : request.ip,
    errorResponseBuilder: (_request, context) =>
      new PlexusError(
        'OVERLOADED',
        `Rate limit exceeded: ${context.max} requests per ${window} ms`,
        {
          data: { limit: context.max, window },
        },
      ),
  })
}

/** Headers every answer carries: no sniffing, no framing, no referrer leaks, no caching of errors. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
}
