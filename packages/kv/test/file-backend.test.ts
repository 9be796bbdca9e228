import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createKernel, silentLogger } from '@plexus/kernel'
import { backendFromConfig, fileBackend, kvService, kvStoreFromConfig } from '@plexus/kv'
import { kvConformance } from './conformance.js'

const dirs: string[] = []
const fresh = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-kv-'))
  dirs.push(dir)
  return dir
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

kvConformance('file backend', {
  make: async () => {
    const dir = await fresh()
    return {
      source: { backend: fileBackend({ dir }) },
      again: () => ({ backend: fileBackend({ dir }) }),
    }
  },
  persistent: true,
  shared: false,
  ttl: true,
})

kvConformance('file backend (fsync, compacting every 5 changes)', {
  make: async () => {
    const dir = await fresh()
    const options = { dir, fsync: true, compactEvery: 5 }
    return {
      source: { backend: fileBackend(options) },
      again: () => ({ backend: fileBackend(options) }),
    }
  },
  persistent: true,
  shared: false,
  ttl: true,
})

describe('kv file backend', () => {
  const open = async (dir: string) => {
    const kernel = createKernel({ logger: silentLogger }).add(
      kvService({ backend: fileBackend({ dir }) }),
    )
    await kernel.start()
    return kernel
  }

  it('drops a torn last log line left by a crash and keeps every change before it', async () => {
    const dir = await fresh()
    await writeFile(join(dir, 'kv.log'), '{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"c","v"')
    const kv = await open(dir)
    assert.equal(await kv.call('kv.get', { key: 'a' }), 1)
    assert.equal(await kv.call('kv.get', { key: 'b' }), 2)
    assert.equal(await kv.call('kv.get', { key: 'c' }), null)
    await kv.stop()
  })

  it('replays changes a killed process appended after its last snapshot', async () => {
    const dir = await fresh()
    await writeFile(join(dir, 'kv.json'), JSON.stringify([['stock/tea', 10]]))
    await appendFile(join(dir, 'kv.log'), '{"k":"stock/tea","v":9}\n{"k":"stock/jam","v":3}\n')
    await writeFile(join(dir, 'kv.lock'), '999999999') // a dead process's lock is taken over
    const kv = await open(dir)
    assert.deepEqual(await kv.call('kv.list', { prefix: 'stock/' }), [
      { key: 'stock/jam', value: 3 },
      { key: 'stock/tea', value: 9 },
    ])
    await kv.stop()
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'kv.json'), 'utf8')), [
      ['stock/tea', 9],
      ['stock/jam', 3],
    ])
  })

  it('refuses a data directory held by another live process', async () => {
    const dir = await fresh()
    await writeFile(join(dir, 'kv.lock'), String(process.ppid))
    const kernel = createKernel({ logger: silentLogger }).add(
      kvService({ backend: fileBackend({ dir }) }),
    )
    await assert.rejects(kernel.start(), (error: Error) => {
      const cause = (error as { cause?: Error }).cause ?? error
      assert.match(`${error.message} ${cause.message}`, /in use by process \d+/)
      return true
    })
  })
})

describe('kv backend configuration', () => {
  it('builds the backend named in configuration', async () => {
    assert.equal(backendFromConfig({ backend: 'memory' }).kind, 'memory')
    assert.equal(backendFromConfig(undefined).kind, 'memory')
    assert.equal(backendFromConfig({ backend: 'file', dir: await fresh() }).kind, 'file')
  })

  it('names the key, the value seen and what was expected', () => {
    assert.throws(
      () => backendFromConfig({ backend: 'redis' }, 'services.kv.config'),
      /services\.kv\.config\.backend: expected 'memory' or 'file', got "redis"/,
    )
    assert.throws(
      () => backendFromConfig({ backend: 'file' }),
      /kv\.dir: expected a directory path, got undefined/,
    )
    assert.throws(
      () => backendFromConfig({ backend: 'file', dir: '/tmp/x', fsync: 'yes' }),
      /kv\.fsync: expected true or false, got "yes"/,
    )
  })
})

describe('kv store configuration', () => {
  it('builds a backend for memory and file, a shared store for redis and nats', async () => {
    const kinds = [
      kvStoreFromConfig({ backend: 'memory' }),
      kvStoreFromConfig({ backend: 'file', dir: await fresh() }),
      kvStoreFromConfig({ backend: 'redis', url: 'redis://127.0.0.1:1', prefix: 'shop:' }),
      kvStoreFromConfig({
        backend: 'nats',
        servers: ['nats://127.0.0.1:1'],
        bucket: 'shop',
        bucketTtl: 1000,
      }),
    ].map((source) =>
      'store' in source ? `store:${source.store.kind}` : `backend:${source.backend.kind}`,
    )
    assert.deepEqual(kinds, ['backend:memory', 'backend:file', 'store:redis', 'store:nats'])
  })

  it('names the key, the value seen and what was expected', () => {
    assert.throws(
      () => kvStoreFromConfig({ backend: 'mongo' }, 'services.kv.config'),
      /services\.kv\.config\.backend: expected 'memory', 'file', 'redis' or 'nats', got "mongo"/,
    )
    assert.throws(
      () => kvStoreFromConfig({ backend: 'redis', url: 5 }),
      /kv\.url: expected a non-empty string, got 5/,
    )
    assert.throws(
      () => kvStoreFromConfig({ backend: 'nats', bucketTtl: -1 }),
      /kv\.bucketTtl: expected a positive number of ms, got -1/,
    )
    assert.throws(
      () => kvStoreFromConfig({ backend: 'nats', servers: [1] }),
      /kv\.servers: expected a URL or a list of URLs, got \[1\]/,
    )
  })
})
