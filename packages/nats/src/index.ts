/**
 * @plexus/nats — a cluster of kernels over NATS: discovery in a NATS KV bucket, one wire session
 * per node pair (message mode), PING liveness with a window you set. docs/cluster.md.
 *
 * @example
 * import { createKernel } from '@plexus/kernel'
 * import { nats } from '@plexus/nats'
 * const kernel = createKernel({ node: 'a', plugins: [nats({ servers: 'nats://127.0.0.1:4222' })] })
 */

/** The plug-in and what it shows of the cluster. */
export { nats, type NatsPlugin } from './nats-plugin.js'
/** Its options. */
export type { NatsOptions, PeerMetaTrust } from './nats-options.js'
/** Federation with other clusters: its options and what the plug-in shows of it. */
export type { FederationOptions } from './federation-options.js'
export type { FederationView } from './federation.js'
/** Federation subjects of an exported service (for leaf-node and account configurations). */
export { federationPrefix } from './federation-subjects.js'
/** Link security: this node's key, the cluster's trusted keys; NATS credentials and TLS. */
export type { NodeKeyOptions, TrustedNodeKey } from './node-keys.js'
export type { NodeConnectionOptions } from './node-connection.js'
/** Links and refusals as the plug-in sees them. */
export type { ClusterView } from './node-cluster.js'
/** A node's registry entry (the value under its id in `plexus_<ns>_nodes`). */
export type { NodeRecord } from './node-directory.js'
/** Subject and bucket names of a namespace. */
export { linkSubject, nodeBucket, pingSubject } from './subjects.js'
/** The head of a node-link NATS message (docs/protocol.md §1): write and read it (tools, tests). */
export {
  decodeLinkMessage,
  encodeLinkMessage,
  LINK_MESSAGE_VERSION,
  linkMessageHead,
  type LinkMessage,
} from './link-message.js'
/** The NATS micro facade as the plug-in shows it. */
export type { MicroView } from './micro-facade.js'
/** Facade subjects, headers and the error-code to `Nats-Service-Error-Code` table. */
export { MICRO_HEADERS, MICRO_QUEUE, microSubject } from './micro-subjects.js'
export { MICRO_STATUSES } from './micro-errors.js'
/** Durable events over JetStream on the same `emit` (docs/events.md). */
export { durableEvents, type DurablePlugin, type DurableView } from './durable-plugin.js'
/** Its options. */
export type { DurableOptions } from './durable-options.js'
/** The knobs of a durable subscription (`events: { t: { durable: { ... }, handler } }`). */
export type { DurableEventOptions } from './durable-subscriptions.js'
/** The reserved meta keys of a durable delivery and a reader of them. */
export { DURABLE_META, durableInfo, type DurableInfo } from './durable-meta.js'
/** A dedup helper over a shared kv store, keyed by service and event id. */
export { dedup, type Dedup, type DedupOptions, type DedupStore } from './durable-dedup.js'
/** The nats-server features gated by version, and the check. */
export { requireServer, SERVER_FEATURES, type ServerFeature } from './durable-gates.js'
/** Stream and subject names of durable events. */
export {
  deadLetterStream,
  deadLetterSubject,
  eventStream,
  eventSubject,
} from './durable-subjects.js'
/** Figures of the outbox and of deliveries. */
export type { OutboxAck, OutboxStats } from './durable-outbox.js'
export type { DeliveryStats } from './durable-consumer.js'
/** Plain events to peers through a bounded buffer: figures and the drop announcement (T15). */
export { EVENTS_DROPPED, type EventFlowFigures } from './event-flow.js'
