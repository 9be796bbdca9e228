// The one suite every kv backend runs (STYLE 12): same cases, through a real kernel.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createKernel, isPlexusError, silentLogger, type Kernel } from '@plexus/kernel'
import { kvService, type KvBackend } from '@plexus/kv'

/** How a backend under test is made; `reopen` builds a fresh backend over the same storage. */
export interface BackendUnderTest {
  /** A backend over fresh storage and a way to reopen that storage after a stop. */
  make(): Promise<{ backend: KvBackend; reopen: () => KvBackend }>
  /** Set when entries survive a restart; otherwise the reason they do not. */
  persistent: true | string
}

async function running(backend: KvBackend): Promise<Kernel> {
  const kernel = createKernel({ logger: silentLogger }).add(kvService({ backend }))
  await kernel.start()
  return kernel
}

async function rejectsWith(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isPlexusError(error), `expected a PlexusError, got ${String(error)}`)
    assert.equal(error.code, code)
    assert.match(error.message, text)
    return true
  })
}

/** Runs the conformance cases against one backend. */
export function kvConformance(name: string, subject: BackendUnderTest): void {
  describe(`kv conformance: ${name} backend`, () => {
    const kernels: Kernel[] = []
    const start = async (backend: KvBackend) => {
      const kernel = await running(backend)
      kernels.push(kernel)
      return kernel
    }
    after(async () => {
      for (const kernel of kernels) await kernel.stop()
    })

    it('answers null for a key never set', async () => {
      const kv = await start((await subject.make()).backend)
      assert.equal(await kv.call('kv.get', { key: 'missing' }), null)
    })

    it('round-trips JSON values through set and get', async () => {
      const kv = await start((await subject.make()).backend)
      const value = { name: 'tea', tags: ['hot', 'leaf'], cents: 450, nested: { ok: true } }
      assert.deepEqual(await kv.call('kv.set', { key: 'catalog/tea', value }), value)
      assert.deepEqual(await kv.call('kv.get', { key: 'catalog/tea' }), value)
      await kv.call('kv.set', { key: 'catalog/tea', value: 'overwritten' })
      assert.equal(await kv.call('kv.get', { key: 'catalog/tea' }), 'overwritten')
    })

    it('deletes a key and says whether it existed', async () => {
      const kv = await start((await subject.make()).backend)
      await kv.call('kv.set', { key: 'a', value: 1 })
      assert.equal(await kv.call('kv.delete', { key: 'a' }), true)
      assert.equal(await kv.call('kv.delete', { key: 'a' }), false)
      assert.equal(await kv.call('kv.get', { key: 'a' }), null)
    })

    it('lists the keys under a prefix in key order, up to a limit', async () => {
      const kv = await start((await subject.make()).backend)
      for (const key of ['stock/tea', 'stock/jam', 'orders/1', 'stock/butter'])
        await kv.call('kv.set', { key, value: key.length })
      assert.deepEqual(await kv.call('kv.list', { prefix: 'stock/' }), [
        { key: 'stock/butter', value: 12 },
        { key: 'stock/jam', value: 9 },
        { key: 'stock/tea', value: 9 },
      ])
      assert.equal(((await kv.call('kv.list', { prefix: 'stock/', limit: 2 })) as []).length, 2)
      assert.equal(((await kv.call('kv.list', {})) as []).length, 4)
    })

    it('increments atomically: 200 concurrent incr calls give exactly 200', async () => {
      const kv = await start((await subject.make()).backend)
      const results = await Promise.all(
        Array.from({ length: 200 }, () => kv.call('kv.incr', { key: 'counter' })),
      )
      assert.equal(await kv.call('kv.get', { key: 'counter' }), 200)
      assert.equal(new Set(results).size, 200, 'every incr saw a distinct value')
      assert.equal(await kv.call('kv.incr', { key: 'counter', by: -50 }), 150)
    })

    it('refuses incr on a value that is not a number, naming the key and the value', async () => {
      const kv = await start((await subject.make()).backend)
      await kv.call('kv.set', { key: 'name', value: 'tea' })
      await rejectsWith(kv.call('kv.incr', { key: 'name' }), 'VALIDATION', /'name' holds "tea"/)
      await rejectsWith(kv.call('kv.incr', { key: 'n', by: 1.5 }), 'VALIDATION', /'by'.*1\.5/)
    })

    it('refuses a missing or empty key and a missing value with VALIDATION', async () => {
      const kv = await start((await subject.make()).backend)
      await rejectsWith(kv.call('kv.get', {}), 'VALIDATION', /'key'.*undefined/)
      await rejectsWith(kv.call('kv.set', { key: '', value: 1 }), 'VALIDATION', /'key'.*""/)
      await rejectsWith(kv.call('kv.set', { key: 'x' }), 'VALIDATION', /'value' is missing/)
    })

    const restart =
      subject.persistent === true
        ? 'keeps entries across a restart'
        : `starts empty after a restart (${subject.persistent})`
    it(restart, async () => {
      const { backend, reopen } = await subject.make()
      const first = await running(backend)
      await first.call('kv.set', { key: 'stock/tea', value: 10 })
      await first.call('kv.incr', { key: 'stock/tea', by: -3 })
      await first.call('kv.set', { key: 'gone', value: true })
      await first.call('kv.delete', { key: 'gone' })
      await first.stop()
      const second = await start(reopen())
      const expected = subject.persistent === true ? 7 : null
      assert.equal(await second.call('kv.get', { key: 'stock/tea' }), expected)
      assert.equal(await second.call('kv.get', { key: 'gone' }), null)
    })

    it('refuses to run as more than one instance (one owner of the store)', async () => {
      const kernel = createKernel({ logger: silentLogger }).add(
        kvService({ backend: (await subject.make()).backend }),
        { instances: 2 },
      )
      await assert.rejects(kernel.start(), /one instance owns the store/)
    })
  })
}
