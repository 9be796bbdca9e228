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
export type { NatsOptions } from './nats-options.js'
/** Link security: this node's key, the cluster's trusted keys; NATS credentials and TLS. */
export type { NodeKeyOptions, TrustedNodeKey } from './node-keys.js'
export type { NodeConnectionOptions } from './node-connection.js'
/** Links and refusals as the plug-in sees them. */
export type { ClusterView } from './node-cluster.js'
/** A node's registry entry (the value under its id in `plexus_<ns>_nodes`). */
export type { NodeRecord } from './node-directory.js'
/** Subject and bucket names of a namespace. */
export { linkSubject, nodeBucket, pingSubject } from './subjects.js'
/** The NATS micro facade as the plug-in shows it. */
export type { MicroView } from './micro-facade.js'
/** Facade subjects, headers and the error-code to `Nats-Service-Error-Code` table. */
export { MICRO_HEADERS, MICRO_QUEUE, microSubject } from './micro-subjects.js'
export { MICRO_STATUSES } from './micro-errors.js'
