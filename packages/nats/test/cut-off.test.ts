import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isPlexusError, type Kernel } from '@plexus/kernel'
import { sleep, startNatsServer, until } from '@plexus/testing'
import { workOn } from './fixtures/work.js'
import { clusterNode, routedTo, skip, stopKernelsFirst } from './helpers.js'

const OPTIONS = { livenessWindow: 600, probeTimeout: 200 }
/** Calls made while cut off; spaced so that they span several probe timeouts. */
const CALLS = 30

async function outcome(kernel: Kernel<any>): Promise<string> {
  try {
    return `ok ${String(await kernel.call('work.get', { ms: 1 }, { deadline: 1_000 }))}`
  } catch (error) {
    if (!isPlexusError(error)) return `not a PlexusError: ${String(error)}`
    return `${error.code}${error.retryable === true ? ' (retryable)' : ''}`
  }
}

test(
  "a node cut off from NATS answers calls to its peers' services UNAVAILABLE (retryable), never NOT_FOUND, reads not ready, and routes to them again once reconnected",
  { skip },
  async (t) => {
    stopKernelsFirst(t)
    const server = await startNatsServer(t)
    const a = await clusterNode(t, server.url, 'a', [], OPTIONS)
    await clusterNode(t, server.url, 'b', [workOn('b')], OPTIONS)
    await routedTo(a.kernel, 'work', 'b')
    assert.equal(await outcome(a.kernel), 'ok b')

    // The only server goes: a's link to b dies by its PINGs, and a probe of b cannot be answered.
    await server.stop()
    await until('a to declare its link to b dead', () =>
      a.plugin.cluster!.links === 0 ? true : undefined,
    )
    const seen = new Map<string, number>()
    for (let i = 0; i < CALLS; i++) {
      const got = await outcome(a.kernel)
      seen.set(got, (seen.get(got) ?? 0) + 1)
      await sleep(OPTIONS.probeTimeout / 4)
    }
    assert.deepEqual(Object.fromEntries(seen), { 'UNAVAILABLE (retryable)': CALLS })
    assert.equal(a.plugin.cluster!.unreachable, 1, 'b is known, unreachable, not forgotten')
    assert.equal(a.plugin.cluster!.connected, false)
    assert.deepEqual(a.kernel.unready(), ["the cluster's NATS connection is down (reconnecting)"])

    await server.start()
    await until('a to route work to b again', async () =>
      (await outcome(a.kernel)) === 'ok b' ? true : undefined,
    )
    await until('no peer left unreachable', () =>
      a.plugin.cluster!.unreachable === 0 ? true : undefined,
    )
    assert.equal(a.plugin.cluster!.connected, true)
    assert.deepEqual(a.kernel.unready(), [], 'ready again once reconnected')
  },
)
