import type { TestContext } from 'node:test'
import { freePort } from './local-server.js'
import { startNatsWithConfig, type ConfiguredNats } from './nats-config.js'
import { until } from './until.js'

/**
 * Subjects a leaf connection between two Plexus clusters must not carry: each cluster's own
 * registry and JetStream API, node links, pings and micro facade (docs/cluster.md,
 * "Federation"). Only `plexus.<ns>.fed.>` (and the application's own subjects) cross.
 */
export const CLUSTER_PRIVATE_SUBJECTS: readonly string[] = [
  '$JS.>',
  '$KV.>',
  '$SRV.>',
  'plexus.*.link.>',
  'plexus.*.ping.>',
  'plexus.*.svc.>',
]

/** Two nats-servers, each its own cluster with its own JetStream domain, joined by a leaf node. */
export interface NatsLeafClusters {
  /** The hub (JetStream domain `hub`): it accepts the leaf connection. */
  readonly hub: ConfiguredNats
  /** The leaf (JetStream domain `leaf`): it dials the hub. */
  readonly leaf: ConfiguredNats
  /** Messages the leaf connection carried so far, both ways, as the hub counts them (`/leafz`). */
  readonly crossed: () => Promise<number>
}

interface Leafz {
  leafs?: { in_msgs?: number; out_msgs?: number }[]
}

/**
 * Starts a hub and a leaf nats-server on free loopback ports, the leaf connected to the hub
 * with `deny` (default CLUSTER_PRIVATE_SUBJECTS) refused both ways, and waits until the leaf
 * connection is up. Both are stopped when the test ends.
 */
export async function startLeafClusters(
  t: TestContext,
  deny: readonly string[] = CLUSTER_PRIVATE_SUBJECTS,
): Promise<NatsLeafClusters> {
  const leafPort = await freePort()
  const list = JSON.stringify(deny)
  const hub = await startNatsWithConfig(
    t,
    ({ dir }) => `server_name: hub
jetstream { store_dir: ${JSON.stringify(dir)}, domain: hub }
leafnodes { listen: "127.0.0.1:${leafPort}" }
`,
  )
  const leaf = await startNatsWithConfig(
    t,
    ({ dir }) => `server_name: leaf
jetstream { store_dir: ${JSON.stringify(dir)}, domain: leaf }
leafnodes {
  remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}", deny_imports: ${list}, deny_exports: ${list} } ]
}
`,
  )
  const leafs = async () => (await hub.monitoring<Leafz>('/leafz')).leafs ?? []
  await until('the leaf node to connect to the hub', async () =>
    (await leafs()).length > 0 ? true : undefined,
  )
  return {
    hub,
    leaf,
    crossed: async () => {
      let total = 0
      for (const l of await leafs()) total += (l.in_msgs ?? 0) + (l.out_msgs ?? 0)
      return total
    },
  }
}
