import assert from 'node:assert/strict'
import { test } from 'node:test'
import { until } from '@plexus/testing'
import { attachedFrom, clusterNode, natsServer, routedTo, skip, spawnNode } from './helpers.js'

/** The users' default: a silent peer lives on this long (docs/cluster.md). */
const WINDOW = 3000
const SPIN_MS = 250
const CALLERS = 2

test(
  'a CPU-busy node is not declared dead while its link still answers: its event loop saturated by CPU-bound calls for over two liveness windows, every call on it succeeds and it stays routed (Moleculer #891)',
  { skip, timeout: 120_000 },
  async (t) => {
    const url = await natsServer(t)
    const a = await clusterNode(t, url, 'a', [], { livenessWindow: WINDOW })
    await spawnNode(t, url, 'b', WINDOW)
    await routedTo(a.kernel, 'work', 'b')

    // Two callers keep b's only thread busy: each call blocks its event loop for SPIN_MS, and the
    // next one is already queued, so b runs at full CPU for as long as the callers go on. PINGs
    // and answers get through between calls, which is what the liveness rule must count.
    const spins = Math.ceil((2.5 * WINDOW) / SPIN_MS)
    let done = 0
    const failures: unknown[] = []
    let minAttached = Number.POSITIVE_INFINITY
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (done < spins) {
          try {
            const from = await a.kernel.call('work.spin', { ms: SPIN_MS }, { deadline: 30_000 })
            assert.equal(from, 'b')
            done++
          } catch (error) {
            failures.push(error)
            done++
          }
          minAttached = Math.min(minAttached, attachedFrom(a.kernel, 'work', 'b'))
        }
      }),
    )
    const busyFor = performance.now() - started

    assert.deepEqual(failures, [], 'no call on the busy node failed')
    assert.ok(done >= spins, `ran ${done} spins`)
    assert.ok(busyFor >= 2 * WINDOW, `b was busy ${Math.round(busyFor)} ms (over two windows)`)
    assert.equal(minAttached, 1, 'b stayed routed after every call')
    // And it answers normally once the load stops.
    await until('b to answer a plain call', async () =>
      (await a.kernel.call('work.get', { ms: 1 })) === 'b' ? true : undefined,
    )
  },
)
