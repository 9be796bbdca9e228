import type { FastifyReply, FastifyRequest } from 'fastify'
import { PlexusError } from '@plexus/kernel'
import { toErrorAnswer, withStatus } from './http-status.js'
import type { ResolvedOptions } from './options.js'

/**
 * Answers a failed request: the typed error as its HTTP status and `{ error }` body; a body
 * too large, or one refused unread (401 before parsing), ends its connection instead of being
 * drained.
 */
export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  config: ResolvedOptions,
): void {
  const answer = toErrorAnswer(fromFramework(error, config), config.statuses, request.id)
  if (answer.status === 413 || (answer.status === 401 && unreadBody(request))) {
    // Node would otherwise read and discard the rest of an oversized (or refused) body; cut it off.
    reply.header('connection', 'close')
    reply.raw.once('finish', () => request.raw.socket.destroy())
  }
  if (answer.retryAfter && !reply.hasHeader('retry-after')) reply.header('retry-after', '1')
  if (answer.status === 401) reply.header('www-authenticate', 'Bearer')
  void reply
    .code(answer.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body))
}

/** A request refused before its body was read (a 401 from onRequest) that still carries one. */
function unreadBody(request: FastifyRequest): boolean {
  const headers = request.raw.headers
  const length = headers['content-length']
  return (
    request.body === undefined &&
    ((length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined)
  )
}

/** Turns fastify's own errors (body limit, bad content type) into typed gateway errors. */
function fromFramework(error: unknown, config: ResolvedOptions): unknown {
  if (error instanceof PlexusError || !(error instanceof Error)) return error
  const { code, statusCode } = error as Error & { code?: string; statusCode?: number }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return withStatus(
      new PlexusError(
        'VALIDATION',
        `Request body is larger than the ${config.bodyLimit}-byte limit`,
        {
          data: { limit: config.bodyLimit },
        },
      ),
      413,
    )
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Fastify's 4xx messages describe the request, never the server, so they are safe to show.
    return withStatus(new PlexusError('VALIDATION', error.message), statusCode)
  }
  return error
}
