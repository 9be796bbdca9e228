import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import crashy from './fixtures/crashy.js'
import { reportGates, scale } from '@plexus/testing'
import { eventually, fixture, isolatedKernel, rejectionOf, heapAfterGc } from './helpers.js'

// RELIABILITY.md T17's worker part, scaled: crash and restart a worker guest many times and
// check that the kernel keeps nothing of the dead ones.

/** Open handles by kind (sockets, timers, message ports, ...). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

/** RELIABILITY.md T17 asks 100 worker restarts. */
const RESTARTS = scale({ small: 30, full: 100 })

describe('worker restarts (T17)', () => {
  it(`leaves the kernel heap within +2 MB and its handles as they were after ${RESTARTS} crashes and restarts`, async () => {
    const kernel = isolatedKernel()
    kernel.add(crashy, {
      placement: 'worker',
      module: fixture('crashy'),
      settings: {
        restart: { intensity: 1_000, period: 60_000, backoff: 1, maxBackoff: 1 },
      },
    })
    await kernel.start()
    const restarts = () =>
      kernel.services().find((s) => s.name === 'crashy')!.instances[0]!.restarts
    const crashOnce = async (expected: number) => {
      const error = await rejectionOf(kernel.call('crashy.exit'))
      assert.equal(error.code, 'UNAVAILABLE')
      assert.ok(await eventually(() => restarts() === expected, 10_000), `restart ${expected}`)
      assert.equal(await kernel.call('crashy.echo', expected), expected)
    }
    await crashOnce(1) // warm: code paths compiled, pools allocated
    await crashOnce(2)
    const heapBefore = heapAfterGc()
    const handlesBefore = handles()
    for (let i = 3; i < RESTARTS + 3; i++) await crashOnce(i)
    const pendingCalls = kernel.pendingCalls
    const handlesBack = await eventually(
      () => JSON.stringify([...handles()]) === JSON.stringify([...handlesBefore]),
    )
    const growth = heapAfterGc() - heapBefore
    const changed = [...new Set([...handles().keys(), ...handlesBefore.keys()])].filter(
      (kind) => handles().get(kind) !== handlesBefore.get(kind),
    )
    reportGates('T17 worker', `${RESTARTS} worker crashes and restarts`, {
      restarts: restarts() - 2,
      heapGrowthMB: Number((growth / 1048576).toFixed(2)),
      pendingCalls,
      handleKindsChanged: changed.length,
    })
    assert.equal(pendingCalls, 0)
    assert.ok(
      handlesBack,
      `handles before ${JSON.stringify([...handlesBefore])}, after ${JSON.stringify([...handles()])}`,
    )
    assert.ok(growth < 2 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(2)} MB`)
    await kernel.stop()
  })
})
