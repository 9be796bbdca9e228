import type { NatsOptions } from '@plexus/nats'

/** The `cluster:` section: this kernel joins a cluster of kernels over NATS (`@plexus/nats`). */
export interface ClusterConfig {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222` (env `PLEXUS_CLUSTER__NATS`). */
  nats: string | string[]
  /** This node's id, unique among the live nodes (env `PLEXUS_CLUSTER__NODE`); also the kernel's node id. */
  node: string
  /** Nodes see only nodes of their namespace (default `default`; env `PLEXUS_CLUSTER__NAMESPACE`). */
  namespace?: string
  /** How long a silent peer lives on, in ms (default 3000). */
  livenessWindow?: number
  /** The NATS micro facade: `true` for every local service, or a list of service names (default off). */
  micro?: boolean | string[]
}

/** The section checked: the nats plug-in's options. */
export type ResolvedCluster = NatsOptions & { node: string }

const KEYS = ['nats', 'node', 'namespace', 'livenessWindow', 'micro']
/** Node ids and namespaces become NATS subject tokens and KV keys. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/
const SERVER = /^(nats|tls|ws|wss):\/\/[^\s]+$|^[\w.-]+:\d+$/
const SERVICE = /^[A-Za-z][\w-]*$/

type Fail = (key: string, value: unknown, expected: string) => never

/** Checks the `cluster` section (the first problem is an INVALID_CONFIG naming its key). */
export function validateCluster(raw: unknown, fail: Fail): ResolvedCluster | false {
  if (raw === undefined || raw === false) return false
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('cluster', raw, 'an object { nats, node, namespace?, livenessWindow?, micro? }')
  }
  const c = raw as Record<string, unknown>
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key))
      fail(`cluster.${key}`, c[key], `no such key (known: ${KEYS.join(', ')})`)
  }
  const servers = typeof c.nats === 'string' ? [c.nats] : c.nats
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((s) => typeof s === 'string' && SERVER.test(s))
  ) {
    fail('cluster.nats', c.nats, "a nats:// URL or a list of them, e.g. 'nats://127.0.0.1:4222'")
  }
  const token = (key: string, value: unknown): string =>
    typeof value === 'string' && TOKEN.test(value)
      ? value
      : fail(`cluster.${key}`, value, 'letters, digits, _ or - (1 to 64 of them)')
  const node = token('node', c.node)
  const namespace = c.namespace === undefined ? undefined : token('namespace', c.namespace)
  const window = c.livenessWindow
  if (
    window !== undefined &&
    !(typeof window === 'number' && Number.isFinite(window) && window > 0)
  ) {
    fail('cluster.livenessWindow', window, 'a number of milliseconds > 0')
  }
  const micro = c.micro
  if (
    micro !== undefined &&
    typeof micro !== 'boolean' &&
    !(Array.isArray(micro) && micro.every((s) => typeof s === 'string' && SERVICE.test(s)))
  ) {
    fail('cluster.micro', micro, 'true, false or a list of service names')
  }
  return {
    servers: servers as string[],
    node,
    ...(namespace === undefined ? {} : { namespace }),
    ...(window === undefined ? {} : { livenessWindow: window }),
    ...(micro === undefined ? {} : { micro: micro as boolean | string[] }),
  }
}
