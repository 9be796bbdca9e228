import { PlexusError } from '@plexus/kernel'
import {
  resolveFederation,
  type FederationOptions,
  type FederationSettings,
} from './federation-options.js'
import type { NodeConnectionOptions } from './node-connection.js'
import type { NodeKeyOptions } from './node-keys.js'

/** Options of the nats plug-in (link security and NATS credentials: docs/security.md). */
export interface NatsOptions extends NodeKeyOptions, NodeConnectionOptions {
  /** NATS server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[]
  /** This node's id in the cluster (NATS-token safe: letters, digits, `_`, `-`); default the kernel's node id. */
  node?: string
  /** Cluster namespace (same token rule); nodes see only nodes of their namespace. Default `default`. */
  namespace?: string
  /**
   * How long a peer may stay silent before its link is declared dead, in ms (default 3000):
   * calls in flight to it end UNAVAILABLE (retryable) and its instances are detached.
   */
  livenessWindow?: number
  /** PING period on each node link in ms (default a quarter of the window). */
  pingInterval?: number
  /** How often the local services are re-read for the manifest, in ms (default 250). */
  refreshInterval?: number
  /**
   * TTL of the node registry bucket in ms (default 15000): the bound on how long a crashed
   * node's entry survives there (its links die within the liveness window anyway).
   */
  registryTtl?: number
  /**
   * Copies of the registry bucket kept by a clustered JetStream (1–5, default 1): set it to the
   * cluster's size (up to 3 is usual) so the registry survives a server going down.
   */
  registryReplicas?: number
  /** How long the duplicate-id probe waits for a live holder to answer, in ms (default 1000). */
  probeTimeout?: number
  /**
   * How long a joining node waits, at most, for the peers in the registry when it joined to be
   * linked and their services attached, in ms (default: livenessWindow + probeTimeout + 1000), so
   * services that depend on a peer's services start; a peer not linked by then is logged.
   */
  joinTimeout?: number
  /** Extra subscriptions to announce as broadcast, `service:pattern` (a definition's own `delivery` is announced as is). */
  broadcast?: readonly string[]
  /**
   * The NATS micro facade (docs/cluster.md): `true` exposes every local service to any NATS
   * client on the account (`$SRV.*` discovery, each action an endpoint), a list exposes those
   * services only. Off by default: it opens actions to anyone who can publish on the account.
   */
  micro?: boolean | readonly string[]
  /** Largest facade request body accepted, in bytes (default 1 MiB); bigger ones answer 400. */
  microMaxInput?: number
  /**
   * Plain events in flight from this kernel to peers at most (default 10,000): past it an event
   * is dropped at once, counted and announced (`plexus.events.dropped`), never queued (T15).
   */
  maxEventsInFlight?: number
  /** Federation with other clusters or namespaces (docs/cluster.md, "Federation"); off by default. */
  federation?: FederationOptions
  /**
   * Re-trusts the principal a proven peer forwards with a call, send, stream or event
   * (`auth(...).peers`), so this node's own policies see the caller's token; needs link
   * security (`identity` and `trustedKeys`). Without it a peer's principal is dropped here.
   */
  trust?: PeerMetaTrust
}

/** What re-trusts a proven peer's meta: `auth(...).peers` from `@plexus/auth`. */
export interface PeerMetaTrust {
  /** The meta with what it asserts checked and made trusted here (changed in place). */
  admit(meta: Record<string, unknown>): Record<string, unknown>
}

/** The options with every default filled in. */
export interface NatsSettings {
  readonly servers: string[]
  readonly node: string
  readonly namespace: string
  readonly livenessWindow: number
  readonly pingInterval: number
  readonly pingMisses: number
  readonly refreshInterval: number
  readonly registryTtl: number
  readonly registryReplicas: number
  readonly probeTimeout: number
  readonly joinTimeout: number
  readonly broadcast: ReadonlySet<string>
  /** The micro facade, when on: which services (undefined: all local ones), the body limit. */
  readonly micro:
    { readonly only: readonly string[] | undefined; readonly maxInput: number } | false
  readonly maxEventsInFlight: number
  /** Federation, when on. */
  readonly federation: FederationSettings | undefined
}

/** Node ids and namespaces become subject tokens and KV keys: keep them to this alphabet. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/

/** Checks the options (INVALID_CONFIG naming the key and the value seen) and fills defaults. */
export function resolveNatsOptions(options: NatsOptions, kernelNode: string): NatsSettings {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers
  if (!Array.isArray(servers) || servers.length === 0 || !servers.every(isServer)) {
    throw invalid('nats.servers', 'one or more nats:// URLs', options.servers)
  }
  const node = options.node ?? kernelNode
  if (typeof node !== 'string' || !TOKEN.test(node)) {
    throw invalid('nats.node', 'letters, digits, _ or - (1-64)', node)
  }
  const namespace = options.namespace ?? 'default'
  if (typeof namespace !== 'string' || !TOKEN.test(namespace)) {
    throw invalid('nats.namespace', 'letters, digits, _ or - (1-64)', namespace)
  }
  const livenessWindow = positive('nats.livenessWindow', options.livenessWindow, 3000)
  const pingInterval = positive(
    'nats.pingInterval',
    options.pingInterval,
    Math.max(10, Math.floor(livenessWindow / 4)),
  )
  if (pingInterval * 2 > livenessWindow) {
    throw invalid('nats.pingInterval', 'at most half of livenessWindow', pingInterval)
  }
  const probeTimeout = positive('nats.probeTimeout', options.probeTimeout, 1000)
  return {
    servers,
    node,
    namespace,
    livenessWindow,
    pingInterval,
    // A peer is declared dead on the tick after `misses` unanswered PINGs: at most
    // (misses + 1) × interval after it was last heard from, which must fit in the window.
    pingMisses: Math.max(1, Math.floor(livenessWindow / pingInterval) - 1),
    refreshInterval: positive('nats.refreshInterval', options.refreshInterval, 250),
    registryTtl: positive('nats.registryTtl', options.registryTtl, 15_000),
    probeTimeout,
    joinTimeout: positive(
      'nats.joinTimeout',
      options.joinTimeout,
      livenessWindow + probeTimeout + 1000,
    ),
    registryReplicas: replicas(options.registryReplicas),
    broadcast: new Set(options.broadcast ?? []),
    micro: microOf(options),
    maxEventsInFlight: positive('nats.maxEventsInFlight', options.maxEventsInFlight, 10_000),
    federation: resolveFederation(options.federation, namespace),
  }
}

function microOf(options: NatsOptions): NatsSettings['micro'] {
  const { micro } = options
  const maxInput = positive('nats.microMaxInput', options.microMaxInput, 1024 * 1024)
  if (micro === undefined || micro === false) return false
  if (micro === true) return { only: undefined, maxInput }
  if (!Array.isArray(micro) || !micro.every((s) => typeof s === 'string' && TOKEN.test(s))) {
    throw invalid('nats.micro', 'true, false or a list of service names', micro)
  }
  return { only: [...micro], maxInput }
}

function isServer(value: unknown): boolean {
  return typeof value === 'string' && /^(nats|tls|ws|wss):\/\/[^\s]+$|^[\w.-]+:\d+$/.test(value)
}

function replicas(value: number | undefined): number {
  if (value === undefined) return 1
  if (!Number.isInteger(value) || value < 1 || value > 5) {
    throw invalid('nats.registryReplicas', 'an integer from 1 to 5', value)
  }
  return value
}

function positive(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(key, 'a positive number of ms', value)
  }
  return value
}

function invalid(key: string, expected: string, seen: unknown): PlexusError {
  return new PlexusError(
    'INVALID_CONFIG',
    `${key}: expected ${expected}, got ${JSON.stringify(seen)}`,
    {
      data: { key, expected },
    },
  )
}
