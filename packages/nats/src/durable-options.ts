import { PlexusError, type ServiceDefinition } from '@plexus/kernel'
import type { OutboxAck } from './durable-outbox.js'

/** Options of the durable-events plug-in (docs/events.md). */
export interface DurableOptions {
  /** NATS server URLs (JetStream on), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[]
  /** Namespace (letters, digits, `_`, `-`): its own stream `PLEXUS_<NS>_EVENTS`. Default `default`. */
  namespace?: string
  /** The node id a broadcast consumer is named after (default the kernel's node id). */
  node?: string
  /**
   * The definitions whose `durable` subscriptions this kernel consumes for (those it runs). The
   * kernel does not show a subscription's options to plug-ins, so they are handed over here.
   */
  subscribers?: readonly ServiceDefinition[]
  /** Topic patterns always published durably, even before any durable subscriber exists. */
  topics?: readonly string[]
  /** Copies of the streams in a clustered JetStream (1-5, default 1; 3 for a 3-server cluster). */
  replicas?: number
  /** How long stored events are kept, in ms (default 7 days). */
  maxAge?: number
  /** The stream's duplicate window in ms (default 2 min): a retried id inside it is dropped. */
  duplicateWindow?: number
  /** Unacknowledged emits held at most (default 100,000); a full outbox refuses emits OVERLOADED. */
  outboxLimit?: number
  /** Publishes in flight at once (default 256). */
  publishParallel?: number
  /** How long one publish waits for its PubAck before it is retried, in ms (default 5000). */
  publishTimeout?: number
  /** Events pulled ahead per consumer (default 64). */
  prefetch?: number
  /** How often the stream's consumers are re-read to learn new durable topics, in ms (default 1000). */
  refreshInterval?: number
  /**
   * A per-message TTL in ms for every stored event. Needs nats-server 2.11 (2.9 stores the
   * header and ignores it): refused with INVALID_ARGUMENT on an older server.
   */
  messageTtl?: number
  /** Called with every PubAck (tests and audits: which emits the stream has acknowledged). */
  onPublished?: (ack: OutboxAck) => void
}

/** The options with defaults filled in. */
export type DurableSettings = Required<
  Omit<DurableOptions, 'servers' | 'node' | 'onPublished' | 'messageTtl'>
> & {
  readonly servers: string[]
  readonly node: string | undefined
  readonly messageTtl: number | undefined
  readonly onPublished: ((ack: OutboxAck) => void) | undefined
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/

/** Checks the options (INVALID_CONFIG naming the key) and fills the defaults. */
export function resolveDurableOptions(options: DurableOptions): DurableSettings {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((s) => typeof s === 'string')
  )
    throw invalid('durable.servers', 'one or more nats:// URLs', options.servers)
  const namespace = options.namespace ?? 'default'
  if (!TOKEN.test(namespace)) throw invalid('durable.namespace', 'a token', namespace)
  if (options.node !== undefined && !TOKEN.test(options.node))
    throw invalid('durable.node', 'a token', options.node)
  const replicas = options.replicas ?? 1
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw invalid('durable.replicas', 'an integer from 1 to 5', replicas)
  return {
    servers,
    namespace,
    node: options.node,
    subscribers: options.subscribers ?? [],
    topics: options.topics ?? [],
    replicas,
    maxAge: positive('durable.maxAge', options.maxAge, 7 * 24 * 3600_000),
    duplicateWindow: positive('durable.duplicateWindow', options.duplicateWindow, 120_000),
    outboxLimit: positive('durable.outboxLimit', options.outboxLimit, 100_000),
    publishParallel: positive('durable.publishParallel', options.publishParallel, 256),
    publishTimeout: positive('durable.publishTimeout', options.publishTimeout, 5000),
    prefetch: positive('durable.prefetch', options.prefetch, 64),
    refreshInterval: positive('durable.refreshInterval', options.refreshInterval, 1000),
    messageTtl:
      options.messageTtl === undefined
        ? undefined
        : positive('durable.messageTtl', options.messageTtl, 0),
    onPublished: options.onPublished,
  }
}

function positive(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(key, 'a positive number', value)
  return value
}

function invalid(key: string, expected: string, seen: unknown): PlexusError {
  return new PlexusError(
    'INVALID_CONFIG',
    `${key}: expected ${expected}, got ${JSON.stringify(seen)}`,
    { data: { key, expected } },
  )
}
