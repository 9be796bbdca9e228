import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { compileRule, type Principal, type Rule, type RuleCheck, type Verifier } from '@plexus/auth'
import { PlexusError } from '@plexus/kernel'

/** Who may open the dashboard, as the gateway resolved it. */
export interface DashboardAccess {
  /** A fixed token accepted as is (the CLI passes its admin token). */
  readonly token: string | undefined
  /** Verifies bearer tokens (the gateway's `auth.verifier`), when the gateway has one. */
  readonly verifier: Pick<Verifier, 'verify'> | undefined
  /** Which verified principals may view (default: any). */
  readonly viewers: Rule | undefined
  /** Open to anyone, token or not (`plexus dev`). */
  readonly public: boolean
}

const ANY_PRINCIPAL: Rule = { authenticated: true }

/**
 * Decides whether a request may see the dashboard page, its snapshot and its live socket. Open
 * when `public`, or when there is neither a fixed token nor a verifier (the dashboard as it was
 * before auth); otherwise the request's token must be the fixed one or a verified token whose
 * principal `viewers` allows. The token comes from `Authorization: Bearer`, `?access_token=` or
 * `?token=` (a browser cannot set headers on a page load or a WebSocket).
 */
export class DashboardGuard {
  readonly #fixed: Buffer | undefined
  readonly #verifier: Pick<Verifier, 'verify'> | undefined
  readonly #viewers: RuleCheck
  readonly #rule: string
  readonly #open: boolean
  readonly #principals = new WeakMap<FastifyRequest, Principal>()

  constructor(access: DashboardAccess) {
    this.#fixed = access.token === undefined ? undefined : digest(access.token)
    this.#verifier = access.verifier
    this.#viewers = compileRule(access.viewers ?? ANY_PRINCIPAL)
    this.#rule = access.viewers === undefined ? 'any verified token' : 'dashboard viewers'
    this.#open = access.public || (access.token === undefined && access.verifier === undefined)
  }

  /** Resolves when the request may proceed; `UNAUTHORIZED` (401) or `FORBIDDEN` (403) else. */
  async check(request: FastifyRequest): Promise<void> {
    if (this.#open) return
    const token = tokenOf(request)
    if (token !== undefined && this.#fixed !== undefined) {
      // Hashing first makes both sides one length, so the comparison time says nothing.
      if (timingSafeEqual(digest(token), this.#fixed)) return
    }
    if (this.#verifier === undefined || token === undefined) {
      throw new PlexusError('UNAUTHORIZED', 'The dashboard needs a valid token', {
        data: { reason: token === undefined ? 'missing' : 'unknown-token' },
      })
    }
    // UNAUTHORIZED (401) for a bad token, UNAVAILABLE (503) when the key set cannot be read.
    const principal = await this.#verifier.verify(token)
    if (this.#viewers(principal, undefined) !== 'allow') {
      throw new PlexusError(
        'FORBIDDEN',
        `The dashboard is not open to ${principal.sub} (${this.#rule})`,
        { data: { sub: principal.sub, rule: this.#rule } },
      )
    }
    this.#principals.set(request, principal)
  }

  /** The verified principal a request was let in with (none for the fixed token or when open). */
  principalOf(request: FastifyRequest): Principal | undefined {
    return this.#principals.get(request)
  }
}

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match?.[1] !== undefined) return match[1]
  }
  const query = request.query as Record<string, unknown> | undefined
  const fromQuery = query?.['access_token'] ?? query?.['token']
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}
