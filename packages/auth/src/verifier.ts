import type { KeyObject } from 'node:crypto'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose'
import { PlexusError, type Clock } from '@plexus/kernel'
import { fromJose, unauthorized } from './failure.js'
import { mintPrincipal, type Principal } from './principal.js'
import { TokenCache, type CachedToken } from './token-cache.js'

/** Where the trusted public keys come from: a static set, or a JWKS URL. */
export type KeySource =
  | { readonly keys: readonly (JWK | KeyObject)[] }
  | {
      /** The JWKS document URL (`https://issuer/.well-known/jwks.json`). */
      readonly jwksUrl: string
      /** Milliseconds a fetch may take before `UNAVAILABLE` (default 5000). */
      readonly timeout?: number
      /** Milliseconds after a fetch during which an unknown `kid` does not refetch (default 30000). */
      readonly cooldown?: number
      /** Milliseconds a fetched set is used before it is refetched (default 600000). */
      readonly maxAge?: number
    }

/** How tokens are checked; `algorithms` is required and never includes `none`. */
export type VerifierOptions = KeySource & {
  /** The accepted `alg` values (e.g. `['RS256', 'EdDSA']`). */
  readonly algorithms: readonly string[]
  /** Accepted issuer(s); when set, `iss` must match. */
  readonly issuer?: string | readonly string[]
  /** Accepted audience(s); when set, `aud` must include one. */
  readonly audience?: string | readonly string[]
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 5). */
  readonly clockTolerance?: number
  /** Verified tokens remembered until they expire (default 10000; 0 turns the cache off). */
  readonly cacheSize?: number
  /** Claim names the principal is read from (defaults `roles`, `scope`, `tenant`). */
  readonly claims?: { readonly roles?: string; readonly scopes?: string; readonly tenant?: string }
  /** Wall-clock time source in ms since the epoch (tests; default `Date.now`). */
  readonly clock?: Clock
}

/** Checks bearer tokens and turns them into principals. */
export interface Verifier {
  /** The principal of a valid token; `UNAUTHORIZED` (reason in `data`) or `UNAVAILABLE` else. */
  verify(token: string | undefined): Promise<Principal>
  /** The principal of a token verified before and not expired yet, without a promise; else undefined. */
  cachedPrincipal(token: string): Principal | undefined
  /** The cache entry of a token verified before, to keep and ask `current()`; else undefined. */
  cachedToken(token: string): CachedToken | undefined
  /** How many verified tokens are cached. */
  readonly cached: number
  /** Forgets every cached verification (after revoking a key). */
  clearCache(): void
}

const WALL_CLOCK: Clock = { now: () => Date.now() }
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/
const SYMMETRIC = /^HS(256|384|512)$/

/**
 * Builds a verifier over static keys or a JWKS URL.
 * @example
 * const verifier = createVerifier({ jwksUrl: 'https://id.example/jwks.json', algorithms: ['RS256'], issuer: 'https://id.example', audience: 'shop' })
 * const principal = await verifier.verify(token)
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const algorithms = checkAlgorithms(options.algorithms)
  const keys = keySet(options)
  // Token times are wall-clock seconds, so the kernel's monotonic clock is the wrong one here.
  const clock = options.clock ?? WALL_CLOCK
  const cache = new TokenCache(options.cacheSize ?? 10_000, clock)
  const tolerance = options.clockTolerance ?? 5
  const names = {
    roles: options.claims?.roles ?? 'roles',
    scopes: options.claims?.scopes ?? 'scope',
    tenant: options.claims?.tenant ?? 'tenant',
  }
  const verifyOptions = {
    algorithms,
    clockTolerance: tolerance,
    requiredClaims: ['sub', 'exp'],
    ...(options.issuer === undefined ? {} : { issuer: list(options.issuer) }),
    ...(options.audience === undefined ? {} : { audience: list(options.audience) }),
  }
  return {
    async verify(token) {
      if (token === undefined || token.length === 0) {
        throw unauthorized('missing', 'A bearer token is required')
      }
      const hit = cache.get(token)
      if (hit !== undefined) return hit.principal
      const now = clock.now()
      let payload: JWTPayload
      try {
        payload = (await jwtVerify(token, keys, { ...verifyOptions, currentDate: new Date(now) }))
          .payload
      } catch (error) {
        throw fromJose(error)
      }
      const principal = toPrincipal(payload, names)
      // exp is required; the skew allowed on verify holds for the cache too.
      cache.set(token, principal, ((payload.exp as number) + tolerance) * 1000)
      return principal
    },
    cachedPrincipal(token) {
      return cache.get(token)?.principal
    },
    cachedToken(token) {
      return cache.get(token)
    },
    get cached() {
      return cache.size
    },
    clearCache() {
      cache.clear()
    },
  }
}

/** Reads a token's claims without verifying them (logs, diagnostics); never for decisions. */
export function unverifiedClaims(token: string): JWTPayload {
  try {
    return decodeJwt(token)
  } catch {
    throw unauthorized('malformed', 'The token is malformed')
  }
}

function checkAlgorithms(algorithms: readonly string[]): string[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new PlexusError('INVALID_CONFIG', 'auth: algorithms must list at least one algorithm')
  }
  for (const alg of algorithms) {
    if (SYMMETRIC.test(alg)) {
      // An HS algorithm beside public keys is the classic confusion attack: refuse the config.
      throw new PlexusError(
        'INVALID_CONFIG',
        `auth: algorithm '${alg}' is symmetric; only public-key algorithms are accepted`,
        { data: { algorithm: alg } },
      )
    }
    if (!ASYMMETRIC.test(alg)) {
      throw new PlexusError('INVALID_CONFIG', `auth: algorithm '${alg}' is not allowed`, {
        data: { algorithm: alg },
      })
    }
  }
  return [...algorithms]
}

function keySet(options: KeySource): Parameters<typeof jwtVerify>[1] {
  if ('jwksUrl' in options) {
    let url: URL
    try {
      url = new URL(options.jwksUrl)
    } catch {
      throw new PlexusError('INVALID_CONFIG', `auth: jwksUrl '${options.jwksUrl}' is not a URL`)
    }
    return createRemoteJWKSet(url, {
      timeoutDuration: options.timeout ?? 5_000,
      cooldownDuration: options.cooldown ?? 30_000,
      cacheMaxAge: options.maxAge ?? 600_000,
    })
  }
  if (!Array.isArray(options.keys) || options.keys.length === 0) {
    throw new PlexusError('INVALID_CONFIG', 'auth: give keys (a non-empty list) or jwksUrl')
  }
  const jwks: JSONWebKeySet = { keys: options.keys.map(toJwk) }
  return createLocalJWKSet(jwks)
}

function toJwk(key: JWK | KeyObject): JWK {
  if ('export' in key && typeof key.export === 'function') {
    if (key.type !== 'public') {
      throw new PlexusError(
        'INVALID_CONFIG',
        `auth: keys must be public keys, got a ${key.type} key`,
      )
    }
    return key.export({ format: 'jwk' })
  }
  const jwk = key as JWK
  if (jwk.kty === 'oct' || jwk.d !== undefined) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'auth: keys must be public keys (no secrets, no private parts)',
    )
  }
  return jwk
}

function list(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}

function toPrincipal(
  payload: JWTPayload,
  names: { roles: string; scopes: string; tenant: string },
): Principal {
  const tenant = payload[names.tenant]
  return mintPrincipal({
    sub: payload.sub as string,
    roles: strings(payload[names.roles]),
    scopes: strings(payload[names.scopes] ?? payload['scp']),
    tenant: typeof tenant === 'string' ? tenant : undefined,
    iss: payload.iss,
    claims: payload,
  })
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0)
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}
