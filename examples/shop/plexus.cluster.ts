// The shop on two nodes of a cluster (docs/cluster.md): the same services and code as
// plexus.config.ts, split by configuration. `npm run shop:cluster` starts a local nats-server and
// both nodes; by hand, with a nats-server (JetStream on) at nats://127.0.0.1:4222:
//   PLEXUS_CLUSTER__NODE=back  npx plexus start examples/shop/plexus.cluster.ts
//   PLEXUS_CLUSTER__NODE=front npx plexus start examples/shop/plexus.cluster.ts
// `back` runs the store and what keeps stock and money; `front` runs the gateway and the rest,
// and calls `back`'s services over NATS by the same addresses. Start `back` first: `front`'s
// orders depend on its services, and a joining node waits for the nodes already there.
import { defineConfig } from '@plexus/cli'
import shop from './plexus.config.js'

const node = process.env.PLEXUS_CLUSTER__NODE === 'back' ? 'back' : 'front'
const BACK = new Set(['kv', 'inventory', 'payments'])

export default defineConfig({
  ...shop,
  name: `shop-${node}`,
  // Each node writes its own run file; `npx plexus services` talks to `front`, which sees both.
  admin: { dir: node === 'front' ? '.plexus' : '.plexus/back' },
  cluster: { nats: process.env.PLEXUS_CLUSTER__NATS ?? 'nats://127.0.0.1:4222', node },
  // The shop's own audience, so a token from `npm run -s shop:token` works on `front` too.
  auth: {
    ...shop.auth,
    dev: { keyFile: '.plexus/data/auth-dev-key.json', audience: 'shop' },
  },
  services: Object.fromEntries(
    Object.entries(shop.services).filter(([name]) => BACK.has(name) === (node === 'back')),
  ),
  gateway: node === 'front' ? (shop.gateway ?? false) : false,
  metrics: node === 'front' ? (shop.metrics ?? false) : false,
  hints: node === 'front' ? (shop.hints ?? []) : [],
})
