import { PlexusError } from '@plexus/kernel'

/**
 * Features nats-server 2.9.10 accepts and silently ignores (wave2.md §3.3): asking for one on an
 * older server is refused here, naming the version it needs, rather than trusted to the server.
 */
export const SERVER_FEATURES = {
  /** A per-message TTL (`Nats-TTL`, ADR-43). */
  messageTtl: '2.11.0',
  /** Pausing a consumer (`pause_until`). */
  consumerPause: '2.11.0',
  /** KV limit markers / a per-key TTL (ADR-48). */
  kvMarkerTtl: '2.11.0',
} as const

/** A gated feature's name. */
export type ServerFeature = keyof typeof SERVER_FEATURES

/** Throws INVALID_ARGUMENT naming `feature`, the version it needs and `version` when too old. */
export function requireServer(version: string, feature: ServerFeature): void {
  const needs = SERVER_FEATURES[feature]
  if (atLeast(version, needs)) return
  throw new PlexusError(
    'INVALID_ARGUMENT',
    `durable events: ${feature} needs nats-server ${needs} or newer (this server is ${version}); ` +
      'it would be accepted and ignored',
    { data: { feature, needs, serverVersion: version } },
  )
}

/** Whether semantic version `version` is at least `needed` (pre-release tags ignored). */
export function atLeast(version: string, needed: string): boolean {
  const a = parts(version)
  const b = parts(needed)
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!
  return true
}

function parts(version: string): number[] {
  const [core = ''] = version.split('-')
  const numbers = core.split('.').map((p) => Number.parseInt(p, 10))
  return [0, 1, 2].map((i) => (Number.isFinite(numbers[i]) ? numbers[i]! : 0))
}
