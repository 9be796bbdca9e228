import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest } from './http-status.js'
import { assertNotPoisoned, isPoisonedKey } from './poison.js'

/** Parses JSON bodies itself, so a poisoned key answers 400 `VALIDATION` with its path. */
export function installJsonParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      if (text.trim() === '') {
        done(null, undefined)
        return
      }
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (error) {
        done(badRequest(`Malformed JSON body: ${(error as Error).message}`), undefined)
        return
      }
      try {
        assertNotPoisoned(value, 'body', text)
      } catch (error) {
        done(error as Error, undefined)
        return
      }
      done(null, value)
    },
  )
}

/**
 * Refuses prototype-polluting names in the raw query string and in header names. The raw
 * query is read, not the parsed one, so no parser's reading of `a[__proto__]` can slip by.
 */
export function assertCleanRequest(request: FastifyRequest): void {
  const url = request.url
  const q = url.indexOf('?')
  // Without a `%`, decoding changes no letter of a key, so a query naming neither word is clean.
  if (q >= 0 && mayBePoisoned(url, q + 1)) {
    for (const pair of url.slice(q + 1).split('&')) {
      const rawKey = pair.split('=', 1)[0] ?? ''
      let key: string
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '))
      } catch {
        throw badRequest(`Malformed query string key '${rawKey.slice(0, 64)}'`)
      }
      if (isPoisonedKey(key)) {
        throw badRequest(`Rejected query: forbidden key '${key.slice(0, 64)}'`, {
          where: 'query',
          path: key,
        })
      }
    }
  }
  const raw = request.raw.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? ''
    // No real header has `__proto__` in its name; some parsers turn header names into keys.
    if (
      SUSPECT_HEADER.test(name) &&
      (name.includes('__proto__') || isPoisonedKey(name.toLowerCase()))
    ) {
      throw badRequest(`Rejected headers: forbidden header name '${name.slice(0, 64)}'`, {
        where: 'headers',
        path: name,
      })
    }
  }
}

// A header name can only be poisoned if it spells one of the two words, in any case.
const SUSPECT_HEADER = /proto|constructor/i

/** Whether `text` from `from` on could decode to a poisoned key (a cheap superset test). */
function mayBePoisoned(text: string, from: number): boolean {
  return (
    text.includes('%', from) ||
    text.includes('__proto__', from) ||
    text.includes('constructor', from)
  )
}

/** Answers malformed, oversized or too-slow request heads with a JSON body, then closes. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  let status = 400
  let code = 'VALIDATION'
  let message = 'Malformed HTTP request'
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431
    message = 'Request headers are larger than the allowed size'
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408
    code = 'TIMEOUT'
    message = 'The request was not received in time'
  }
  const body = JSON.stringify({ error: { code, message } })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

function statusText(status: number): string {
  return status === 431
    ? 'Request Header Fields Too Large'
    : status === 408
      ? 'Request Timeout'
      : 'Bad Request'
}
