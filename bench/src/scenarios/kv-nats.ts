/** A kv `get` through the kv service on a NATS KV store against a bare nats.js KV `get`. */
import { defineScenario } from '../scenario.js'
import { natsServerMissing, startNatsServer } from '../fixtures/nats-server.js'

const KEY = 'stock.tea'
const VALUE = { sku: 'tea', available: 100 }

/** A bare nats.js v3 KV bucket `get` of the value's JSON, with `options` on the connection. */
async function bareGet(options: { noAsyncTraces?: boolean }) {
  const nats = await startNatsServer()
  const { connect } = await import('@nats-io/transport-node')
  const { Kvm } = await import('@nats-io/kv')
  const nc = await connect({ servers: nats.url, ...options })
  const kv = await new Kvm(nc).create('bench_kv')
  await kv.put(KEY, JSON.stringify(VALUE))
  return {
    op: () => kv.get(KEY),
    close: async () => {
      await nc.close()
      await nats.stop()
    },
  }
}

export default defineScenario({
  kind: 'requests',
  name: 'kv-nats',
  title: 'kv get on NATS KV',
  requests: 40_000,
  unavailable: natsServerMissing,
  notes:
    "A private nats-server per measurement (JetStream on, file storage). Plexus: `kernel.call('kv.get', { key })` to `kvService({ store: natsStore({ servers }) })` in the same process, which `get`s the entry from a NATS KV bucket and parses its JSON. Floor: a bare nats.js v3 (`@nats-io/kv`, the client the store uses) bucket `get` of the same JSON, not parsed, with the client's defaults, which build two `Error`s (stack traces) per request for async traces; 'floor-untraced' connects with `noAsyncTraces: true`. Every `get` is a JetStream API request (one timer per request in nats.js, on every side).",
  impls: {
    floor: () => bareGet({}),
    'floor-untraced': () => bareGet({ noAsyncTraces: true }),
    plexus: async () => {
      const nats = await startNatsServer()
      const { createKernel } = await import('@plexus/kernel')
      const { kvService, natsStore } = await import('@plexus/kv')
      const kernel = createKernel()
      kernel.add(kvService({ store: natsStore({ servers: nats.url }) }))
      await kernel.start()
      await kernel.call('kv.set', { key: KEY, value: VALUE })
      return {
        op: () => kernel.call('kv.get', { key: KEY }),
        close: async () => {
          await kernel.stop()
          await nats.stop()
        },
      }
    },
  },
})
