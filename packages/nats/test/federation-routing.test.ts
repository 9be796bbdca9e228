import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Kernel } from '@plexus/kernel'
import { sleep, startLeafClusters, until } from '@plexus/testing'
import { federationKernels, placed, serving } from './federation-helpers.js'
import { routedTo, skip } from './helpers.js'

/** Waits (bounded) until the federated instance of catalog on `kernel` is in `state`. */
async function federated(kernel: Kernel<any>, state: 'idle' | 'running'): Promise<void> {
  await until(`the federated instance to be ${state}`, () =>
    kernel
      .services()
      .find((s) => s.name === 'catalog')
      ?.instances.some((i) => i.placement === 'federated' && i.state === state)
      ? true
      : undefined,
  )
}

test(
  'a same-cluster instance is preferred over one across the bridge, which takes over while none is left and hands back when one returns',
  { skip },
  async (t) => {
    const nodes = federationKernels(t)
    const { hub, leaf } = await startLeafClusters(t)
    await nodes.start(hub.url, 'a1', [serving('catalog', 'a1')], {
      federation: { cluster: 'a', exports: ['catalog'] },
    })
    const b1 = await nodes.start(leaf.url, 'b1', [], {
      federation: { cluster: 'b', imports: ['catalog'] },
    })
    const b2 = await nodes.start(leaf.url, 'b2', [serving('catalog', 'b2')])
    await placed(b1.kernel, 'catalog', 'federated')
    await routedTo(b1.kernel, 'catalog', 'b2')

    // Both instances are attached; the federated one stands by (idle) while b2 runs.
    await federated(b1.kernel, 'idle')
    const first = new Map<string, number>()
    for (let i = 0; i < 100; i++) {
      const from = (await b1.kernel.call('catalog.get')) as string
      first.set(from, (first.get(from) ?? 0) + 1)
    }
    assert.deepEqual([...first], [['b2', 100]])

    // Callers keep calling while b2 stops: every call succeeds, the later ones across.
    const answers = new Map<string, number>()
    const failures: unknown[] = []
    let running = true
    const loops = Array.from({ length: 4 }, async () => {
      while (running) {
        try {
          const from = (await b1.kernel.call('catalog.get', undefined, {
            deadline: 10_000,
          })) as string
          answers.set(from, (answers.get(from) ?? 0) + 1)
        } catch (error) {
          failures.push(error)
          await sleep(10)
        }
      }
    })
    try {
      await until('calls to b2 under load', () =>
        (answers.get('b2') ?? 0) > 20 ? true : undefined,
      )
      await b2.kernel.stop()
      await until('calls answered across the bridge', () =>
        (answers.get('a1') ?? 0) > 50 ? true : undefined,
      )
    } finally {
      running = false
      await Promise.all(loops)
    }
    assert.deepEqual(failures, [])
    assert.ok((answers.get('a1') ?? 0) > 50)
    // None left in the cluster: it no longer stands by.
    await federated(b1.kernel, 'running')

    // A same-cluster instance again: traffic goes back to it.
    await nodes.start(leaf.url, 'b3', [serving('catalog', 'b3')])
    await routedTo(b1.kernel, 'catalog', 'b3')
    await federated(b1.kernel, 'idle')
    const back = new Map<string, number>()
    for (let i = 0; i < 50; i++) {
      const from = (await b1.kernel.call('catalog.get')) as string
      back.set(from, (back.get(from) ?? 0) + 1)
    }
    assert.deepEqual([...back], [['b3', 50]])
  },
)
