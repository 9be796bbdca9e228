import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compileRule, PRINCIPAL_KEY, type Principal, type Rule, type Verifier } from '@plexus/auth'
import { PlexusError, toPlexusError, type Kernel, type Logger } from '@plexus/kernel'
import { readJsonBody } from './json-body.js'

/** What the admin endpoint needs beyond the kernel. */
export interface AdminOptions {
  /** Bearer token every request must carry. */
  token: string
  /**
   * Bearer JWTs accepted besides the token: verified by `verifier`, allowed by `operators` (a
   * policy rule; default any verified token). Calls made with one carry its principal.
   */
  auth?: { verifier: Pick<Verifier, 'verify'>; operators: Rule | undefined }
  /** Port on 127.0.0.1 (0 picks a free one). */
  port: number
  logger: Logger
  /** Hot replaces a service from its module (or `file`); answers the new version. */
  replace(service: string, file: string | undefined): Promise<{ service: string; version: number }>
  /** Extra status fields (name, gateway URL, fallbacks...). */
  status(): Record<string, unknown>
}

/** The loopback admin endpoint the CLI talks to. */
export interface AdminServer {
  listen(): Promise<number>
  close(): Promise<void>
}

const STATUS: Partial<Record<string, number>> = {
  VALIDATION: 400,
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  INVALID_DEFINITION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  OVERLOADED: 429,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
}

/**
 * node:http on 127.0.0.1 with routes for call, emit, services/status and replace. Every
 * request needs the token (compared in constant time); bodies are bounded and poisoned JSON is
 * refused; every error answers `{ error: { code, message, ... } }`.
 */
export function createAdminServer(kernel: Kernel<any>, options: AdminOptions): AdminServer {
  const untyped = kernel as unknown as Kernel
  const expected = digest(options.token)
  const operators = compileRule(options.auth?.operators ?? { authenticated: true })
  // Who a request is: the admin token (undefined) or a verified operator's principal.
  const identify = async (header: string | undefined): Promise<Principal | undefined> => {
    if (authorized(header, expected)) return undefined
    const jwt = bearer(header)
    if (options.auth === undefined || jwt === undefined) {
      throw new PlexusError('UNAUTHORIZED', 'Missing or wrong admin token')
    }
    const principal = await options.auth.verifier.verify(jwt)
    if (operators(principal, undefined) !== 'allow') {
      throw new PlexusError('FORBIDDEN', `${principal.sub} may not operate this kernel`, {
        data: { sub: principal.sub, rule: 'auth.operators' },
      })
    }
    return principal
  }
  const routes: Record<
    string,
    (body: Record<string, unknown>, principal: Principal | undefined) => Promise<unknown>
  > = {
    'GET /status': async () => ({ pid: process.pid, state: kernel.state, ...options.status() }),
    'GET /services': async () => ({ services: kernel.services(), ...options.status() }),
    'POST /call': async (body, principal) => {
      const address = text(body, 'address')
      const deadline = body.deadline
      const data = await untyped.call(address, body.input, {
        meta: { caller: 'plexus-cli', ...asMeta(principal) },
        ...(typeof deadline === 'number' ? { deadline } : {}),
      })
      return { data: data === undefined ? null : data }
    },
    'POST /emit': async (body, principal) => {
      const meta = asMeta(principal)
      untyped.emit(text(body, 'topic'), body.payload, meta === undefined ? undefined : { meta })
      return { ok: true }
    },
    'POST /replace': async (body) => {
      const file = body.file
      if (file !== undefined && typeof file !== 'string') {
        throw new PlexusError('VALIDATION', `'file' must be a path, got ${JSON.stringify(file)}`)
      }
      return options.replace(text(body, 'service'), file)
    },
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const principal = await identify(request.headers.authorization)
      const path = (request.url ?? '/').split('?')[0]
      const route = routes[`${request.method} ${path}`]
      if (route === undefined) {
        throw new PlexusError('NOT_FOUND', `No admin route ${request.method} ${path}`)
      }
      const body = request.method === 'POST' ? await readJsonBody(request) : {}
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new PlexusError('VALIDATION', 'Request body must be a JSON object')
      }
      answer(response, 200, await route(body as Record<string, unknown>, principal))
    } catch (caught) {
      const error = toPlexusError(caught)
      const status =
        (error.data as { status?: number } | undefined)?.status ?? STATUS[error.code] ?? 500
      if (status === 500) options.logger.warn({ err: error }, 'Admin request failed')
      if (status === 413) {
        // Stop reading the rest; close once the answer is out.
        response.setHeader('connection', 'close')
        response.on('finish', () => setTimeout(() => request.socket.destroy(), 50).unref())
      }
      answer(response, status, { error: error.toJSON() })
    }
  }

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
    void handle(req, res)
  })
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(options.port, '127.0.0.1', () => {
          server.off('error', reject)
          resolve((server.address() as AddressInfo).port)
        })
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}

function text(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== 'string' || value === '') {
    throw new PlexusError(
      'VALIDATION',
      `'${key}' must be a non-empty string, got ${JSON.stringify(value)}`,
    )
  }
  return value
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

// Hashing first makes both sides the same length, so the comparison time says nothing.
function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false
  return timingSafeEqual(digest(header.slice('Bearer '.length)), expected)
}

function bearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

// The verified principal travels as the gateway's does: minted by the verifier, kept by auth-trust.
function asMeta(principal: Principal | undefined): Record<string, unknown> | undefined {
  return principal === undefined ? undefined : { [PRINCIPAL_KEY]: principal }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  })
  response.end(json)
}
