// The one suite every kv backend and store runs (STYLE 12): same cases, through a real kernel.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { createKernel, isPlexusError, silentLogger, type Kernel } from '@plexus/kernel'
import {
  isRevisionConflict,
  kvService,
  type KvBackend,
  type SharedStore,
  type StoreChange,
  type StoreEntry,
} from '@plexus/kv'
import { until } from '@plexus/testing'

/** What the kv service is built over: a single-writer backend or a shared store. */
export type StoreSource = { backend: KvBackend } | { store: SharedStore }

/** How a backend or store under test is made. */
export interface StoreUnderTest {
  /** Fresh storage (servers belong to `t`), and a way to build a new source over the same storage. */
  make(t: TestContext): Promise<{ source: StoreSource; again: () => StoreSource }>
  /** Set when entries survive a restart; otherwise the reason they do not. */
  persistent: true | string
  /** True when several kernels may share the storage. */
  shared: boolean
  /** Set when a per-key TTL is honoured; otherwise the reason it is refused (the case checks the refusal). */
  ttl: true | { refusal: RegExp; why: string }
  /** Set when an idle case should not run, with the reason. */
  skip?: string | false
}

/** A kernel running only the kv service over `source`; stopped when the test ends. */
export async function kvKernel(
  t: TestContext,
  source: StoreSource,
  instances = 1,
): Promise<Kernel> {
  const kernel = createKernel({ logger: silentLogger }).add(kvService(source), { instances })
  await kernel.start()
  t.after(() => kernel.stop())
  return kernel
}

/** Asserts a PlexusError with `code` whose message matches `text`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  text: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isPlexusError(error), `expected a PlexusError, got ${String(error)}`)
    assert.equal(error.code, code)
    assert.match(error.message, text)
    return true
  })
}

/** Opens `kv.watch` on `prefix` and waits until it is live (a probe write under it is seen). */
export async function liveWatch(
  kernel: Kernel,
  prefix: string,
): Promise<AsyncIterator<StoreChange>> {
  const stream = kernel.stream('kv.watch', { prefix }, { deadline: 60_000 })
  const changes = stream[Symbol.asyncIterator]() as AsyncIterator<StoreChange>
  let first: IteratorResult<StoreChange> | undefined
  const next = changes.next().then((r) => (first = r))
  await until('the watch to see a probe write', async () => {
    await kernel.call('kv.set', { key: `${prefix}probe`, value: 0 })
    return first
  })
  await next
  // Drain probes already in flight, so the caller's first change is its own write.
  await kernel.call('kv.set', { key: `${prefix}probe`, value: 'last' })
  for (;;) {
    const r = await changes.next()
    if (r.value?.key === `${prefix}probe` && r.value.value === 'last') return changes
  }
}

/** Runs the conformance cases against one backend or store. */
export function kvConformance(name: string, subject: StoreUnderTest): void {
  describe(`kv conformance: ${name}`, { skip: subject.skip ?? false }, () => {
    const start = async (t: TestContext) => kvKernel(t, (await subject.make(t)).source)

    it('answers null for a key never set', async (t) => {
      const kv = await start(t)
      assert.equal(await kv.call('kv.get', { key: 'missing' }), null)
      assert.equal(await kv.call('kv.getEntry', { key: 'missing' }), null)
    })

    it('round-trips JSON values through set and get', async (t) => {
      const kv = await start(t)
      const value = { name: 'tea', tags: ['hot', 'leaf'], cents: 450, nested: { ok: true } }
      assert.deepEqual(await kv.call('kv.set', { key: 'catalog/tea', value }), value)
      assert.deepEqual(await kv.call('kv.get', { key: 'catalog/tea' }), value)
      await kv.call('kv.set', { key: 'catalog/tea', value: 'overwritten' })
      assert.equal(await kv.call('kv.get', { key: 'catalog/tea' }), 'overwritten')
    })

    it('keeps keys with spaces, dots, slashes, = and non-ASCII characters apart', async (t) => {
      const kv = await start(t)
      const keys = ['a b', 'a.b', 'a/b', 'a=2fb', 'a=b', 'thé/☕', '.lead', 'trail.']
      for (const [i, key] of keys.entries()) await kv.call('kv.set', { key, value: i })
      for (const [i, key] of keys.entries()) assert.equal(await kv.call('kv.get', { key }), i)
      const listed = (await kv.call('kv.list', { prefix: 'a' })) as { key: string }[]
      assert.deepEqual(
        listed.map((e) => e.key),
        ['a b', 'a.b', 'a/b', 'a=2fb', 'a=b'],
      )
    })

    it('hands back a copy: mutating an answer does not change the stored value', async (t) => {
      const kv = await start(t)
      await kv.call('kv.set', { key: 'cart', value: { items: ['tea'] } })
      const entry = (await kv.call('kv.getEntry', { key: 'cart' })) as StoreEntry
      ;(entry.value as { items: string[] }).items.push('changed behind the store')
      const listed = (await kv.call('kv.list', { prefix: 'cart' })) as {
        value: { items: string[] }
      }[]
      listed[0]!.value.items.push('again')
      assert.deepEqual(await kv.call('kv.get', { key: 'cart' }), { items: ['tea'] })
    })

    it('deletes a key and says whether it existed', async (t) => {
      const kv = await start(t)
      await kv.call('kv.set', { key: 'a', value: 1 })
      assert.equal(await kv.call('kv.delete', { key: 'a' }), true)
      assert.equal(await kv.call('kv.delete', { key: 'a' }), false)
      assert.equal(await kv.call('kv.get', { key: 'a' }), null)
    })

    it('lists the keys under a prefix in key order, up to a limit', async (t) => {
      const kv = await start(t)
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

    it('increments atomically: 200 concurrent incr calls give exactly 200', async (t) => {
      const kv = await start(t)
      const results = await Promise.all(
        Array.from({ length: 200 }, () => kv.call('kv.incr', { key: 'counter' })),
      )
      assert.equal(await kv.call('kv.get', { key: 'counter' }), 200)
      assert.equal(new Set(results).size, 200, 'every incr saw a distinct value')
      assert.equal(await kv.call('kv.incr', { key: 'counter', by: -50 }), 150)
    })

    it('refuses incr on a value that is not a number, naming the key and the value', async (t) => {
      const kv = await start(t)
      await kv.call('kv.set', { key: 'name', value: 'tea' })
      await rejectsWith(kv.call('kv.incr', { key: 'name' }), 'VALIDATION', /'name' holds "tea"/)
      await rejectsWith(kv.call('kv.incr', { key: 'n', by: 1.5 }), 'VALIDATION', /'by'.*1\.5/)
    })

    it('refuses a missing or empty key, a missing value and a bad revision with VALIDATION', async (t) => {
      const kv = await start(t)
      await rejectsWith(kv.call('kv.get', {}), 'VALIDATION', /'key'.*undefined/)
      await rejectsWith(kv.call('kv.set', { key: '', value: 1 }), 'VALIDATION', /'key'.*""/)
      await rejectsWith(kv.call('kv.set', { key: 'x' }), 'VALIDATION', /'value' is missing/)
      await rejectsWith(
        kv.call('kv.cas', { key: 'x', value: 1 }),
        'VALIDATION',
        /'ifRevision' is missing/,
      )
      await rejectsWith(
        kv.call('kv.cas', { key: 'x', value: 1, ifRevision: -1 }),
        'VALIDATION',
        /'ifRevision'.*-1/,
      )
      await rejectsWith(kv.call('kv.set', { key: 'x', value: 1, ttl: 0 }), 'VALIDATION', /'ttl'.*0/)
    })

    it('answers each entry with a revision that grows with every write', async (t) => {
      const kv = await start(t)
      await kv.call('kv.set', { key: 'r', value: 'one' })
      const first = (await kv.call('kv.getEntry', { key: 'r' })) as StoreEntry
      assert.deepEqual({ ...first, revision: 0 }, { key: 'r', value: 'one', revision: 0 })
      assert.ok(first.revision > 0)
      await kv.call('kv.set', { key: 'other', value: 1 })
      await kv.call('kv.set', { key: 'r', value: 'two' })
      const second = (await kv.call('kv.getEntry', { key: 'r' })) as StoreEntry
      assert.ok(second.revision > first.revision, `${second.revision} > ${first.revision}`)
    })

    it('compare-and-set writes at the current revision and refuses a stale one', async (t) => {
      const kv = await start(t)
      const created = (await kv.call('kv.cas', { key: 'c', value: 1, ifRevision: 0 })) as StoreEntry
      assert.equal(created.value, 1)
      const next = (await kv.call('kv.cas', {
        key: 'c',
        value: 2,
        ifRevision: created.revision,
      })) as StoreEntry
      assert.ok(next.revision > created.revision)
      const stale = await kv
        .call('kv.cas', { key: 'c', value: 3, ifRevision: created.revision })
        .catch((e: unknown) => e)
      assert.ok(isRevisionConflict(stale), `expected a revision conflict, got ${String(stale)}`)
      assert.match(stale.message, /'c' changed since revision \d+/)
      assert.equal(stale.retryable, false)
      await rejectsWith(
        kv.call('kv.cas', { key: 'c', value: 4, ifRevision: 0 }),
        'INVALID_STATE',
        /'c' changed since revision 0/,
      )
      assert.equal(await kv.call('kv.get', { key: 'c' }), 2)
    })

    it('deletes at a revision only while it is current', async (t) => {
      const kv = await start(t)
      const { revision } = (await kv.call('kv.cas', {
        key: 'd',
        value: 1,
        ifRevision: 0,
      })) as StoreEntry
      await kv.call('kv.set', { key: 'd', value: 2 })
      await rejectsWith(
        kv.call('kv.delete', { key: 'd', ifRevision: revision }),
        'INVALID_STATE',
        /'d' changed/,
      )
      const now = (await kv.call('kv.getEntry', { key: 'd' })) as StoreEntry
      assert.equal(await kv.call('kv.delete', { key: 'd', ifRevision: now.revision }), true)
      assert.equal(await kv.call('kv.get', { key: 'd' }), null)
      // Written again after a delete: the old revision stays stale.
      await kv.call('kv.cas', { key: 'd', value: 3, ifRevision: 0 })
      await rejectsWith(
        kv.call('kv.cas', { key: 'd', value: 4, ifRevision: now.revision }),
        'INVALID_STATE',
        /'d' changed/,
      )
    })

    if (subject.ttl === true) {
      it('forgets an entry once its TTL has passed, and keeps one without', async (t) => {
        const kv = await start(t)
        await kv.call('kv.set', { key: 'ttl/short', value: 1, ttl: 200 })
        await kv.call('kv.set', { key: 'ttl/kept', value: 2 })
        assert.equal(await kv.call('kv.get', { key: 'ttl/short' }), 1)
        await until('the TTL entry to expire', async () =>
          (await kv.call('kv.get', { key: 'ttl/short' })) === null ? true : undefined,
        )
        assert.deepEqual(await kv.call('kv.list', { prefix: 'ttl/' }), [
          { key: 'ttl/kept', value: 2 },
        ])
      })
    } else {
      const { refusal, why } = subject.ttl
      it(`refuses a per-key TTL with INVALID_ARGUMENT instead of ignoring it (${why})`, async (t) => {
        const kv = await start(t)
        await rejectsWith(
          kv.call('kv.set', { key: 'ttl', value: 1, ttl: 200 }),
          'INVALID_ARGUMENT',
          refusal,
        )
        assert.equal(await kv.call('kv.get', { key: 'ttl' }), null)
      })
    }

    it('streams the writes and deletes under a prefix to a watcher, and nothing else', async (t) => {
      const kv = await start(t)
      const changes = await liveWatch(kv, 'w/')
      await kv.call('kv.set', { key: 'elsewhere', value: 0 })
      await kv.call('kv.set', { key: 'w/a', value: { n: 1 } })
      await kv.call('kv.delete', { key: 'w/a' })
      const seen = [(await changes.next()).value, (await changes.next()).value] as StoreChange[]
      await changes.return?.()
      assert.deepEqual(
        seen.map(({ key, op, value }) => ({ key, op, value })),
        [
          { key: 'w/a', op: 'set', value: { n: 1 } },
          { key: 'w/a', op: 'delete', value: undefined },
        ],
      )
      assert.ok(seen[1]!.revision > seen[0]!.revision)
    })

    const restart =
      subject.persistent === true
        ? 'keeps entries and refuses stale revisions across a restart'
        : `starts empty after a restart (${subject.persistent})`
    it(restart, async (t) => {
      const { source, again } = await subject.make(t)
      const first = createKernel({ logger: silentLogger }).add(kvService(source))
      await first.start()
      await first.call('kv.set', { key: 'stock/tea', value: 10 })
      await first.call('kv.incr', { key: 'stock/tea', by: -3 })
      await first.call('kv.set', { key: 'gone', value: true })
      await first.call('kv.delete', { key: 'gone' })
      await first.stop()
      const second = await kvKernel(t, again())
      const expected = subject.persistent === true ? 7 : null
      assert.equal(await second.call('kv.get', { key: 'stock/tea' }), expected)
      assert.equal(await second.call('kv.get', { key: 'gone' }), null)
    })

    if (subject.shared) {
      it('runs as several instances over the one shared store', async (t) => {
        const kv = await kvKernel(t, (await subject.make(t)).source, 2)
        await Promise.all(Array.from({ length: 100 }, () => kv.call('kv.incr', { key: 'n' })))
        assert.equal(await kv.call('kv.get', { key: 'n' }), 100)
        assert.equal(kv.services().find((s) => s.name === 'kv')?.instances.length, 2)
      })
    } else {
      it('refuses to run as more than one instance (one owner of the store)', async (t) => {
        const kernel = createKernel({ logger: silentLogger }).add(
          kvService((await subject.make(t)).source),
          { instances: 2 },
        )
        await assert.rejects(kernel.start(), /one instance owns the \w+ store/)
        await kernel.stop().catch(() => {})
      })
    }
  })
}
