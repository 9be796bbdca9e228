import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createKernel, isPlexusError, silentLogger } from '@plexus/kernel'
import { nats, type NatsOptions } from '@plexus/nats'
import { until } from '@plexus/testing'
import { forgerSetup, linkMessage, skip } from './helpers.js'

test('bad options fail the start with INVALID_CONFIG naming the key', async () => {
  const cases = [
    [{ servers: 'nats://127.0.0.1:1', node: 'a.b' }, 'nats.node'],
    [{ servers: 'nats://127.0.0.1:1', namespace: 'has space' }, 'nats.namespace'],
    [{ servers: [] }, 'nats.servers'],
    [
      { servers: 'nats://127.0.0.1:1', livenessWindow: 1000, pingInterval: 600 },
      'nats.pingInterval',
    ],
    [{ servers: 'nats://127.0.0.1:1', livenessWindow: -1 }, 'nats.livenessWindow'],
  ] satisfies [NatsOptions, string][]
  for (const [options, key] of cases) {
    const kernel = createKernel({ node: 'a', logger: silentLogger, plugins: [nats(options)] })
    const error: unknown = await kernel.start().then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.ok(isPlexusError(error), `${key}: expected a PlexusError, got ${String(error)}`)
    assert.equal(error.code, 'INVALID_CONFIG', key)
    assert.equal((error.data as { key?: string }).key, key)
  }
})

test(
  'forged and malformed messages on a link subject are refused while valid traffic flows',
  { skip },
  async (t) => {
    const { a, nc } = await forgerSetup(t)
    const subject = 'plexus.test.link.a.b'
    const calls = Array.from({ length: 100 }, () => a.kernel.call('beta.node'))
    for (let i = 0; i < 200; i++) {
      // No link head (a message shorter than one), or a bad sequence number: refused before any parsing.
      nc.publish(subject, new Uint8Array([1, 2, 3]))
      nc.publish(subject, linkMessage({ from: 'forged.1', seq: 0 }, '{"__proto__":{"x":1}}'))
    }
    assert.deepEqual(
      await Promise.all(calls),
      Array.from({ length: 100 }, () => 'b'),
    )
    await until('every forged message counted', () =>
      (a.plugin.cluster?.refused ?? 0) >= 400 ? true : undefined,
    )
    assert.equal(a.plugin.cluster?.refused, 400)
    assert.equal(await a.kernel.call('beta.node'), 'b')
    assert.equal(({} as { x?: number }).x, undefined)
  },
)
