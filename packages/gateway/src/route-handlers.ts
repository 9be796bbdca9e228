import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PlexusError, toPlexusError, type Kernel } from '@plexus/kernel'
import { EdgeAuth } from './edge-auth.js'
import type { GatewayCounters } from './gateway-stats.js'
import { toErrorAnswer } from './http-status.js'
import type { ResolvedOptions } from './options.js'
import { mergeInput, type Route } from './route-table.js'
import type { SocketAborts } from './socket-aborts.js'
import { STREAM_CONTENT_TYPES, StreamBody, type StreamFormat } from './stream-body.js'

/** What the configured routes' handlers share. */
export interface RouteDeps {
  readonly kernel: Kernel
  readonly config: ResolvedOptions
  readonly counters: GatewayCounters
  readonly aborts: SocketAborts
  readonly auth: EdgeAuth | undefined
}

/**
 * Registers the configured routes: a call route answers JSON from `kernel.call`, a stream
 * route streams `kernel.stream` as NDJSON or SSE. With edge auth the token is verified in
 * onRequest, before the body is read (edge-auth.ts).
 */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { kernel, config, counters, aborts, auth } = deps
  for (const route of config.routes) {
    const optional = auth === undefined || auth.isPublic(route.method, route.path)
    app.route({
      method: route.method,
      url: route.path,
      ...(auth === undefined ? {} : { onRequest: auth.onRequest(optional) }),
      handler:
        route.kind === 'call'
          ? callHandler(kernel, route, config, aborts, auth)
          : (request: FastifyRequest, reply: FastifyReply) =>
              openStream(
                kernel,
                route,
                mergeInput(route, request),
                withPrincipal(requestMeta(request, config), request, auth),
                request,
                reply,
                abortOnDisconnect(reply),
                config,
                counters,
              ),
    })
  }
}

/**
 * The handler of a call route, built once per route: input, meta (with the principal edge auth
 * verified, if any), the kernel call and the JSON answer, with no option spreading. It returns
 * nothing and answers from the call's own settlement (an error goes to the error handler, as a
 * rejected handler's would), so fastify chains no promise of its own onto each request.
 */
function callHandler(
  kernel: Kernel,
  route: Route,
  config: ResolvedOptions,
  aborts: SocketAborts,
  auth: EdgeAuth | undefined,
): (request: FastifyRequest, reply: FastifyReply) => void {
  const { address } = route
  return (request, reply) => {
    kernel
      .call(
        address,
        mergeInput(route, request),
        callOptions(
          withPrincipal(requestMeta(request, config), request, auth),
          aborts.of(request.raw.socket),
          config,
        ),
      )
      .then(
        (result) => answer(reply, route, result),
        (error: unknown) => failed(reply, error),
      )
  }
}

/** The request's meta with the principal edge auth verified for it; nothing else puts one there. */
function withPrincipal(
  meta: Record<string, unknown>,
  request: FastifyRequest,
  auth: EdgeAuth | undefined,
): Record<string, unknown> {
  return auth === undefined ? meta : EdgeAuth.withPrincipal(meta, auth.verified(request))
}

/** The kernel call's options: meta, the connection's cancel signal, the gateway's deadline. */
function callOptions(
  meta: Record<string, unknown>,
  signal: AbortSignal,
  config: ResolvedOptions,
): { meta: Record<string, unknown>; signal: AbortSignal; deadline?: number } {
  return config.deadline === undefined
    ? { meta, signal }
    : { meta, signal, deadline: config.deadline }
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * A call's result as the answer: 204 when there is none, else the route's status and JSON. A
 * result JSON cannot write (a BigInt, a cycle) is a failed answer, never an unhandled rejection.
 */
function answer(reply: FastifyReply, route: Route, result: unknown): void {
  try {
    if (result === undefined) {
      reply.code(204).send()
      return
    }
    if (route.status !== 200) reply.code(route.status)
    // A plain object or array goes to fastify's own JSON serializer, which sets this content type
    // without parsing one back (as a preset header would be); anything fastify would not serialize
    // as JSON (a string, a number, a typed array, a stream-like object) is stringified here.
    if (sentAsJson(result)) reply.send(result)
    else reply.header('content-type', JSON_TYPE).send(JSON.stringify(result))
  } catch (error) {
    failed(reply, error)
  }
}

/** A failed call or answer, to the error handler (as a rejected handler's error would go). */
function failed(reply: FastifyReply, error: unknown): void {
  reply.send(error instanceof Error ? error : toPlexusError(error))
}

/** Whether fastify's `send` serializes `value` with `JSON.stringify` (its checks, in its order). */
function sentAsJson(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) return false
  const probe = value as { pipe?: unknown; getReader?: unknown; buffer?: unknown }
  return (
    typeof probe.pipe !== 'function' &&
    typeof probe.getReader !== 'function' &&
    !(probe.buffer instanceof ArrayBuffer)
  )
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/

function requestMeta(request: FastifyRequest, config: ResolvedOptions): Record<string, unknown> {
  const meta: Record<string, unknown> = { requestId: request.id }
  // An incoming W3C trace context joins the caller's trace when tracing is on (one header read).
  const traceparent = request.headers.traceparent
  if (typeof traceparent === 'string' && TRACEPARENT.test(traceparent)) {
    meta['traceparent'] = traceparent
    const tracestate = request.headers.tracestate
    if (typeof tracestate === 'string' && tracestate.length <= 512) meta['tracestate'] = tracestate
  }
  if (config.metaHeaders.length > 0) {
    const headers: Record<string, string> = {}
    for (const name of config.metaHeaders) {
      const value = request.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    meta['headers'] = headers
  }
  return meta
}

function abortOnDisconnect(reply: FastifyReply): AbortController {
  const abort = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished)
      abort.abort(new PlexusError('CANCELLED', 'The client went away'))
  })
  return abort
}

async function openStream(
  kernel: Kernel,
  route: Route,
  input: unknown,
  meta: Record<string, unknown>,
  request: FastifyRequest,
  reply: FastifyReply,
  abort: AbortController,
  config: ResolvedOptions,
  counters: GatewayCounters,
): Promise<FastifyReply> {
  const format: StreamFormat = String(request.headers.accept ?? '').includes('text/event-stream')
    ? 'sse'
    : 'ndjson'
  const iterable = kernel.stream(route.address, input, {
    meta,
    signal: abort.signal,
    ...(config.deadline === undefined ? {} : { deadline: config.deadline }),
  })
  const iterator = iterable[Symbol.asyncIterator]()
  // The first item is awaited before the headers go out, so an opening error keeps its status.
  const first = await iterator.next()
  counters.openStreams++
  const body = new StreamBody({
    iterator,
    first,
    format,
    abort,
    toErrorBody: (error) => toErrorAnswer(error, config.statuses, request.id).body,
  })
  body.once('close', () => counters.openStreams--)
  return reply
    .code(route.status)
    .header('content-type', STREAM_CONTENT_TYPES[format])
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(body)
}
