import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Transform, pipeline, type TransformCallback } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PlexusError } from '@plexus/kernel'
import { withStatus } from './http-status.js'
import type { ProxyCounter } from './proxy-counter.js'

/** The strangler façade: where unmatched routes go while an old application is replaced. */
export interface LegacyOptions {
  /** Base URL of the legacy application, e.g. `http://127.0.0.1:8080`. */
  upstream: string
  /** Milliseconds to wait for the upstream's response headers (default 30 s). */
  timeout?: number
  /** Distinct routes counted before the rest are lumped together (default 1000). */
  maxRoutes?: number
  /**
   * Traces each forwarded request (`legacyTracing()` of `@plexus/observe`): called before it
   * leaves, it answers headers to add (`traceparent`) and is told how the request ended.
   */
  trace?: (request: { method: string; url: string; headers: IncomingHttpHeaders }) => {
    headers: Readonly<Record<string, string>>
    end(status: number | undefined, error?: Error): void
  }
}

// RFC 9110 §7.6.1: hop-by-hop headers describe one connection and must not be forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * Registers a catch-all route that forwards every request no alias matched to the upstream,
 * streaming both bodies (no buffering) and counting each request per route.
 */
export function registerLegacyProxy(
  app: FastifyInstance,
  options: LegacyOptions & { bodyLimit: number; requestIdHeader: string },
  counter: ProxyCounter,
): void {
  const upstream = new URL(options.upstream)
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `legacy.upstream must be an http(s) URL, got '${options.upstream}'`,
    )
  }
  const base = upstream.pathname.replace(/\/$/, '')
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest
  const timeout = options.timeout ?? 30_000

  const forward = (request: FastifyRequest, reply: FastifyReply): void => {
    const declared = Number(request.headers['content-length'] ?? 0)
    if (declared > options.bodyLimit) {
      reply.send(tooLarge(options.bodyLimit))
      return
    }
    const path = request.url.split('?')[0] ?? '/'
    counter.record(request.method, path)
    const span = options.trace?.({
      method: request.method,
      url: `${upstream.origin}${base}${path}`,
      headers: request.headers,
    })
    const headers = forwardedHeaders(request, upstream.host, options.requestIdHeader)
    if (span !== undefined) Object.assign(headers, span.headers)
    const outgoing = send({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: request.method,
      // Joined as text, never resolved as a URL: `//other-host/x` must stay on the upstream.
      path: base + request.url,
      headers,
    })
    let settled = false
    const fail = (error: Error): void => {
      if (settled || reply.sent) return
      settled = true
      outgoing.destroy()
      span?.end(undefined, error)
      if (error instanceof PlexusError) {
        reply.send(error)
        return
      }
      const message = `Legacy upstream ${upstream.host} is unreachable`
      reply.send(withStatus(new PlexusError('UNAVAILABLE', message, { cause: error }), 502))
    }
    outgoing.setTimeout(timeout, () => {
      fail(new PlexusError('TIMEOUT', `Legacy upstream gave no answer within ${timeout} ms`))
    })
    outgoing.on('error', fail)
    outgoing.on('response', (incoming: IncomingMessage) => {
      settled = true
      outgoing.setTimeout(0)
      span?.end(incoming.statusCode)
      reply.code(incoming.statusCode ?? 502)
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value)
      }
      reply.send(incoming)
    })
    pipeline(request.raw, new ByteLimit(options.bodyLimit), outgoing, (error) => {
      if (error) fail(error)
    })
  }

  void app.register(async (scope) => {
    // The façade streams bodies untouched, so nothing here may parse them first.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    scope.all('/*', { exposeHeadRoute: false }, forward)
    scope.all('/', { exposeHeadRoute: false }, forward)
  })
}

function forwardedHeaders(
  request: FastifyRequest,
  upstreamHost: string,
  requestIdHeader: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  const raw: IncomingHttpHeaders = request.headers
  const named = String(raw['connection'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue
    headers[name] = value
  }
  const prior = raw['x-forwarded-for']
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${request.ip}` : request.ip
  headers['x-forwarded-host'] = String(raw['host'] ?? '')
  headers['x-forwarded-proto'] = request.protocol
  headers['host'] = upstreamHost
  headers[requestIdHeader] = request.id
  return headers
}

function tooLarge(limit: number): PlexusError {
  return withStatus(
    new PlexusError('VALIDATION', `Request body is larger than the ${limit}-byte limit`, {
      data: { limit },
    }),
    413,
  )
}

/** Fails the pipe once more than `limit` bytes pass, so a chunked upload cannot run unbounded. */
class ByteLimit extends Transform {
  #seen = 0
  readonly #limit: number

  constructor(limit: number) {
    super()
    this.#limit = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length
    if (this.#seen > this.#limit) callback(tooLarge(this.#limit))
    else callback(null, chunk)
  }
}
