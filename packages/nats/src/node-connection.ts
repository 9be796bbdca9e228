import type { ConnectionOptions } from '@nats-io/transport-node'
import { PlexusError } from '@plexus/kernel'

/** How a node authenticates to NATS and protects the connection (docs/security.md). */
export interface NodeConnectionOptions {
  /** NATS user name (with `pass`): give each node its own user with subject permissions. */
  user?: string
  /** The user's password. */
  pass?: string
  /** A NATS auth token (instead of user and password). */
  token?: string
  /**
   * TLS to the server: `ca` (PEM) to trust a private CA, `cert` and `key` (PEM) for a client
   * certificate when the server verifies clients. Implies TLS even for a `nats://` URL.
   */
  tls?: { ca?: string; cert?: string; key?: string }
}

/** The nats.js connection options those settings become; INVALID_CONFIG naming a bad key. */
export function connectionOptionsOf(options: NodeConnectionOptions): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {}
  for (const key of ['user', 'pass', 'token'] as const) {
    const value = options[key]
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '')
      throw invalid(`nats.${key}`, 'a non-empty string')
    out[key] = value
  }
  if ((out.user === undefined) !== (out.pass === undefined)) {
    throw invalid(out.user === undefined ? 'nats.user' : 'nats.pass', 'user and pass together')
  }
  if (out.token !== undefined && out.user !== undefined) {
    throw invalid('nats.token', 'either token or user and pass, not both')
  }
  const tls = options.tls
  if (tls !== undefined) {
    if (tls === null || typeof tls !== 'object') throw invalid('nats.tls', '{ ca?, cert?, key? }')
    const settings: NonNullable<ConnectionOptions['tls']> = {}
    for (const key of ['ca', 'cert', 'key'] as const) {
      const value = tls[key]
      if (value === undefined) continue
      if (typeof value !== 'string' || !value.includes('-----BEGIN')) {
        throw invalid(`nats.tls.${key}`, 'a PEM text')
      }
      settings[key] = value
    }
    if ((settings.cert === undefined) !== (settings.key === undefined)) {
      throw invalid('nats.tls.cert', 'cert and key together')
    }
    out.tls = settings
  }
  return out
}

function invalid(key: string, expected: string): PlexusError {
  return new PlexusError('INVALID_CONFIG', `${key}: expected ${expected}`, {
    data: { key, expected },
  })
}
