import { PlexusError } from '@plexus/kernel'
import type { DevClaims } from '@plexus/auth'
import { loadConfig } from './config-load.js'

/** What `plexus token` is asked for. */
export interface TokenRequest {
  /** The config whose `auth.dev` keys sign (default: the config `plexus start` would find). */
  readonly config: string | undefined
  /** `sub` (default `dev`). */
  readonly sub: string | undefined
  /** Comma-separated roles. */
  readonly roles: string | undefined
  /** Comma-separated scopes. */
  readonly scopes: string | undefined
  /** Tenant claim. */
  readonly tenant: string | undefined
  /** Seconds the token lives (default 3600). */
  readonly ttl: string | undefined
}

/**
 * Signs a development token with the config's `auth.dev` key pair (made now if the kernel has
 * not made it yet, so a token printed before the first start verifies after it).
 */
export async function devToken(request: TokenRequest): Promise<string> {
  const config = await loadConfig(request.config)
  const keys = config.auth === false ? undefined : config.auth.dev
  if (keys === undefined) {
    throw new PlexusError(
      'INVALID_CONFIG',
      `plexus token signs with the dev keys of auth.dev, and ${config.file ?? 'the config'} has none (add auth: { dev: true }, or get tokens from your identity provider)`,
      { data: { key: 'auth.dev' } },
    )
  }
  const ttl = request.ttl === undefined ? undefined : Number(request.ttl)
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl > 0)) {
    throw new PlexusError('INVALID_ARGUMENT', `--ttl must be seconds > 0, got '${request.ttl}'`)
  }
  const claims: DevClaims = {
    ...(request.sub === undefined ? {} : { sub: request.sub }),
    ...(request.roles === undefined ? {} : { roles: list(request.roles) }),
    ...(request.scopes === undefined ? {} : { scopes: list(request.scopes) }),
    ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
    ...(ttl === undefined ? {} : { ttl }),
  }
  return keys.sign(claims)
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
