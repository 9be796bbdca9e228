/** A kv `get` through the kv service on a Redis store against a bare Redis client `GET` (issue 15). */
import { defineScenario } from '../scenario.js'
import { redisServerMissing, startRedisServer } from '../fixtures/redis-server.js'

const KEY = 'stock/tea'
const VALUE = { sku: 'tea', available: 100 }

/** A bare node-redis client `GET`ting the value's JSON string, with `options` on top of the URL. */
async function bareGet(options: { commandOptions?: { timeout: number } }) {
  const redis = await startRedisServer()
  const { createClient } = await import('redis')
  const client = createClient({ url: redis.url, ...options })
  await client.connect()
  await client.set(KEY, JSON.stringify(VALUE))
  return {
    op: () => client.get(KEY),
    close: async () => {
      client.destroy()
      await redis.stop()
    },
  }
}

export default defineScenario({
  kind: 'requests',
  name: 'kv-redis',
  title: 'kv get on Redis',
  requests: 40_000,
  unavailable: redisServerMissing,
  notes:
    "A private redis-server per measurement (no persistence). Plexus: `kernel.call('kv.get', { key })` to `kvService({ store: redisStore({ url }) })` in the same process, which `GET`s the entry's string (`<revision>:<JSON>`) and parses its JSON. Floor: one node-redis client (the one the store uses, `redis` 6) with its defaults doing `GET` of a plain string key holding the same JSON, not parsed; its default arms an `AbortSignal.timeout` (5 s) per command. 'floor-untimed' is the same client with that timer off (`commandOptions: { timeout: 0 }`), as the store runs it (its outage guard's one sweep fails unanswered calls instead). Both clients pipeline the commands of concurrent lanes on one connection.",
  impls: {
    floor: () => bareGet({}),
    'floor-untimed': () => bareGet({ commandOptions: { timeout: 0 } }),
    plexus: async () => {
      const redis = await startRedisServer()
      const { createKernel } = await import('@plexus/kernel')
      const { kvService, redisStore } = await import('@plexus/kv')
      const kernel = createKernel()
      kernel.add(kvService({ store: redisStore({ url: redis.url }) }))
      await kernel.start()
      await kernel.call('kv.set', { key: KEY, value: VALUE })
      return {
        op: () => kernel.call('kv.get', { key: KEY }),
        close: async () => {
          await kernel.stop()
          await redis.stop()
        },
      }
    },
  },
})
