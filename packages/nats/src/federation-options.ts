import { PlexusError } from '@plexus/kernel'

/**
 * Federation with other clusters (docs/cluster.md, "Federation"): which local services other
 * clusters may reach, and which of theirs this node reaches. Nothing crosses for a service
 * that is not both exported by its cluster and imported by the other.
 */
export interface FederationOptions {
  /**
   * This cluster's name among the federated ones (letters, digits, `_`, `-`; default the
   * namespace). Two clusters federated in one namespace (a leaf node) need different names.
   */
  cluster?: string
  /** Local services other clusters may call and receive the events of (`catalog`). */
  exports?: readonly string[]
  /**
   * Services of other clusters to reach by their usual address: `catalog` (same namespace,
   * e.g. a cluster across a leaf node) or `<namespace>:catalog` (another NATS account).
   */
  imports?: readonly string[]
}

/** One imported service: where it lives (its namespace) and its name. */
export interface FederationImport {
  readonly namespace: string
  readonly service: string
}

/** The federation options, checked, with defaults filled in. */
export interface FederationSettings {
  readonly cluster: string
  readonly exports: readonly string[]
  readonly imports: readonly FederationImport[]
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/
const SERVICE = /^[A-Za-z][\w-]{0,63}$/

/** Checks the `federation` option (INVALID_CONFIG naming the key); undefined when it is off. */
export function resolveFederation(
  options: FederationOptions | undefined,
  namespace: string,
): FederationSettings | undefined {
  if (options === undefined) return undefined
  if (options === null || typeof options !== 'object') {
    throw invalid('nats.federation', '{ cluster?, exports?, imports? }', options)
  }
  const cluster = options.cluster ?? namespace
  if (typeof cluster !== 'string' || !TOKEN.test(cluster)) {
    throw invalid('nats.federation.cluster', 'letters, digits, _ or - (1-64)', cluster)
  }
  const exports = options.exports ?? []
  if (!Array.isArray(exports) || !exports.every((s) => typeof s === 'string' && SERVICE.test(s))) {
    throw invalid('nats.federation.exports', 'a list of service names', exports)
  }
  const imports = options.imports ?? []
  if (!Array.isArray(imports)) {
    throw invalid('nats.federation.imports', "a list of 'service' or 'namespace:service'", imports)
  }
  const resolved = imports.map((entry: unknown) => {
    const parts = typeof entry === 'string' ? entry.split(':') : []
    const [ns, service] = parts.length === 1 ? [namespace, parts[0]] : parts
    if (parts.length > 2 || !TOKEN.test(ns ?? '') || !SERVICE.test(service ?? '')) {
      throw invalid('nats.federation.imports', "'service' or 'namespace:service'", entry)
    }
    return { namespace: ns, service: service! }
  })
  return { cluster, exports: [...new Set(exports)], imports: resolved }
}

function invalid(key: string, expected: string, seen: unknown): PlexusError {
  return new PlexusError(
    'INVALID_CONFIG',
    `${key}: expected ${expected}, got ${JSON.stringify(seen)}`,
    { data: { key, expected } },
  )
}
