import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import { PRINCIPAL_KEY, type CachedToken, type Principal, type Verifier } from '@plexus/auth'

/** Bearer-token authentication at the edge. */
export interface GatewayAuthOptions {
  /** Checks tokens (`auth(...).verifier`, or `createVerifier(...)` from `@plexus/auth`). */
  verifier: Pick<Verifier, 'verify'> & Partial<Pick<Verifier, 'cachedToken'>>
  /**
   * Route keys exactly as in `routes` (`'GET /api/products'`) reachable without a token; a token
   * sent anyway is still verified. Every other route, and the WebSocket, require one.
   */
  public?: readonly string[]
  /** Whether the WebSocket endpoint may be opened without a token (default false). */
  publicWebSocket?: boolean
}

// The request slot onRequest keeps the verified principal in (a decorated, fixed-shape field).
const SLOT = 'plexusPrincipal'
type Slotted = FastifyRequest & { [SLOT]?: Principal | null }

/** The last verified `Authorization` header a connection sent, with its cache entry. */
interface LastToken {
  header: string
  token: CachedToken
}

/** Verifies requests' bearer tokens and says which routes need one. */
export class EdgeAuth {
  readonly #verifier: GatewayAuthOptions['verifier']
  readonly #public: ReadonlySet<string>
  readonly #last = new WeakMap<object, LastToken>()
  readonly publicWebSocket: boolean

  constructor(options: GatewayAuthOptions) {
    this.#verifier = options.verifier
    this.#public = new Set((options.public ?? []).map(normalKey))
    this.publicWebSocket = options.publicWebSocket ?? false
  }

  /** Whether a route (by method and path) may be called without a token. */
  isPublic(method: string, path: string): boolean {
    return this.#public.has(`${method} ${path}`)
  }

  /**
   * The principal of the request's token: `undefined` when there is none and `optional`;
   * `UNAUTHORIZED` (reason in `data`) for a missing required or a bad token.
   */
  async principal(request: FastifyRequest, optional: boolean): Promise<Principal | undefined> {
    const token = tokenOf(request)
    if (token === undefined && optional) return undefined
    return this.#verifier.verify(token)
  }

  /**
   * The onRequest hook of a route behind edge auth: the token is checked from the headers
   * alone, before the body is read or parsed, so a request without a valid one costs the
   * gateway its headers only. A token verified before answers at once, without a promise; a
   * connection sending the header it sent last costs neither parsing nor a cache lookup, until
   * that verification ends (expiry, a cleared cache).
   */
  onRequest(
    optional: boolean,
  ): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
    return (request, _reply, done) => {
      const header = request.headers.authorization
      const socket = request.raw.socket
      const last = this.#last.get(socket)
      if (last !== undefined && last.header === header && last.token.current()) {
        ;(request as Slotted)[SLOT] = last.token.principal
        return done()
      }
      const token = tokenOf(request)
      const known = token ? this.#verifier.cachedToken?.(token) : undefined
      if (known !== undefined) {
        if (typeof header === 'string') this.#remember(socket, last, header, known)
        ;(request as Slotted)[SLOT] = known.principal
        return done()
      }
      this.principal(request, optional).then((principal) => {
        if (principal !== undefined) (request as Slotted)[SLOT] = principal
        done()
      }, done)
    }
  }

  #remember(socket: object, last: LastToken | undefined, header: string, token: CachedToken): void {
    if (last === undefined) this.#last.set(socket, { header, token })
    else {
      last.header = header
      last.token = token
    }
  }

  /** The principal `onRequest` verified for `request`, if any. */
  verified(request: FastifyRequest): Principal | undefined {
    return (request as Slotted)[SLOT] ?? undefined
  }

  /** Declares the request slot the principal is kept in, so every request has the same shape. */
  static decorate(app: FastifyInstance): void {
    app.decorateRequest(SLOT, null)
  }

  /** `meta` with the verified principal added, the only way one gets in. */
  static withPrincipal(
    meta: Record<string, unknown>,
    principal: Principal | undefined,
  ): Record<string, unknown> {
    if (principal !== undefined) meta[PRINCIPAL_KEY] = principal
    return meta
  }
}

/** The bearer token from `Authorization`, or `access_token` in the query (WebSocket in browsers). */
export function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1] ?? ''
  }
  const query = request.query as Record<string, unknown> | undefined
  const fromQuery = query?.['access_token']
  return typeof fromQuery === 'string' ? fromQuery : undefined
}

function normalKey(key: string): string {
  const [method = '', ...rest] = key.trim().split(/\s+/)
  return `${method.toUpperCase()} ${rest.join(' ')}`
}
