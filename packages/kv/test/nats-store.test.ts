import { natsStore } from '@plexus/kv'
import { serverSkip, startNatsServer } from '@plexus/testing'
import { kvConformance } from './conformance.js'

kvConformance('NATS KV store', {
  make: async (t) => {
    const nats = await startNatsServer(t)
    return {
      source: { store: natsStore({ servers: nats.url }) },
      again: () => ({ store: natsStore({ servers: nats.url }) }),
    }
  },
  persistent: true,
  shared: true,
  ttl: {
    refusal: /per-key TTL needs nats-server 2\.11 or newer \(this server is 2\.9\.\d+\)/,
    why: 'nats-server 2.9 has bucket TTL only and would store the header and ignore it',
  },
  skip: serverSkip('nats-server', 'nats-server'),
})
