import { redisStore } from '@plexus/kv'
import { serverSkip, startRedisServer } from '@plexus/testing'
import { kvConformance } from './conformance.js'

kvConformance('Redis store', {
  make: async (t) => {
    const redis = await startRedisServer(t)
    return {
      source: { store: redisStore({ url: redis.url }) },
      again: () => ({ store: redisStore({ url: redis.url }) }),
    }
  },
  persistent: true,
  shared: true,
  ttl: true,
  skip: serverSkip('redis-server', 'redis-server'),
})
