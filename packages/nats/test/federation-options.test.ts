import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createKernel, isPlexusError, silentLogger } from '@plexus/kernel'
import { nats, type NatsOptions } from '@plexus/nats'

test('bad federation options fail the start with INVALID_CONFIG naming the key', async () => {
  const servers = 'nats://127.0.0.1:1'
  const cases = [
    [{ servers, federation: { cluster: 'a.b' } }, 'nats.federation.cluster'],
    [{ servers, federation: { exports: ['has space'] } }, 'nats.federation.exports'],
    [{ servers, federation: { imports: ['x:y:z'] } }, 'nats.federation.imports'],
    [{ servers, federation: { imports: ['bad ns:catalog'] } }, 'nats.federation.imports'],
    [{ servers, federation: { imports: [':catalog'] } }, 'nats.federation.imports'],
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
