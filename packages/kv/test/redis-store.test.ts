import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createClient } from 'redis'
import { createKernel, isPlexusError, silentLogger } from '@plexus/kernel'
import { kvService, redisStore } from '@plexus/kv'
import { serverSkip, startRedisServer, until } from '@plexus/testing'
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

test(
  'a Redis that stops answering with its connection open ends calls UNAVAILABLE within the timeout, then serves again',
  { skip: serverSkip('redis-server', 'redis-server') },
  async (t) => {
    const redis = await startRedisServer(t)
    const kernel = createKernel({ logger: silentLogger }).add(
      kvService({ store: redisStore({ url: redis.url, timeout: 300 }) }),
    )
    await kernel.start()
    t.after(() => kernel.stop())
    await kernel.call('kv.set', { key: 'k', value: 1 })
    // A script that never returns blocks the server while every connection stays open; the
    // server reads nothing until busy-reply-threshold, so the store's GETs get no answer at all.
    const blocker = createClient({ url: redis.url, commandOptions: { timeout: 0 } })
    blocker.on('error', () => {}) // the server stops at the end; that is no failure here
    await blocker.connect()
    t.after(() => blocker.destroy())
    await blocker.configSet('busy-reply-threshold', '4000')
    const busy = blocker
      .eval('while true do end', { keys: [], arguments: [] })
      .catch(() => 'killed')
    let hung: unknown
    for (let i = 0; i < 200 && hung === undefined; i++) {
      hung = await kernel.call('kv.get', { key: 'k' }, { deadline: 10_000 }).then(
        () => undefined,
        (error: unknown) => error,
      )
    }
    assert.ok(isPlexusError(hung), `expected a PlexusError, got ${String(hung)}`)
    assert.equal(hung.code, 'UNAVAILABLE')
    assert.equal(hung.retryable, true)
    assert.match(hung.message, /no answer within 300 ms/, "ended by the guard's sweep")
    const killer = createClient({ url: redis.url, commandOptions: { timeout: 0 } })
    killer.on('error', () => {})
    await killer.connect()
    t.after(() => killer.destroy())
    await killer.scriptKill()
    assert.equal(await busy, 'killed')
    await until('kv.get answers again', async () =>
      (await kernel.call('kv.get', { key: 'k' }).catch(() => undefined)) === 1 ? true : undefined,
    )
  },
)
