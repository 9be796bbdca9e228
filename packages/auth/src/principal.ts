import type { Context, Meta } from '@plexus/kernel'

/** The meta key the verified principal travels under; reserved: no caller can set it. */
export const PRINCIPAL_KEY = 'plexus.principal'

/** Meta keys only the auth layer may set; stripped from outside input. */
export const RESERVED_META_KEYS: readonly string[] = [PRINCIPAL_KEY]

/** Who a verified token says is calling. */
export interface Principal {
  /** The token's subject (`sub`). */
  readonly sub: string
  /** Roles granted by the token. */
  readonly roles: readonly string[]
  /** OAuth scopes granted by the token. */
  readonly scopes: readonly string[]
  /** Tenant the subject belongs to, when the token names one. */
  readonly tenant: string | undefined
  /** The issuer (`iss`). */
  readonly iss: string | undefined
  /** Every claim of the token, for rules on other claims. */
  readonly claims: Readonly<Record<string, unknown>>
}

// Principals the auth layer built in this process; anything else in a reserved key is forged.
const minted = new WeakSet<object>()

/** Builds a principal and marks it as the auth layer's own (only verification calls it). */
export function mintPrincipal(fields: Principal): Principal {
  const principal = Object.freeze({ ...fields })
  minted.add(principal)
  return principal
}

/** True for a principal this process's auth layer built (not one a caller wrote into meta). */
export function isMinted(value: unknown): value is Principal {
  return typeof value === 'object' && value !== null && minted.has(value)
}

/** The verified principal of the message a handler is running for, if any. */
export function principalOf(ctx: Pick<Context, 'meta'>): Principal | undefined {
  return asPrincipal(ctx.meta[PRINCIPAL_KEY])
}

/** Reads a principal out of meta (a plain copy after a process boundary is accepted here). */
export function principalIn(meta: Meta | undefined): Principal | undefined {
  return meta === undefined ? undefined : asPrincipal(meta[PRINCIPAL_KEY])
}

function asPrincipal(value: unknown): Principal | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const p = value as Partial<Principal>
  return typeof p.sub === 'string' && Array.isArray(p.roles) && Array.isArray(p.scopes)
    ? (p as Principal)
    : undefined
}
