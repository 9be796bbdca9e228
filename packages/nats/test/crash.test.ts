import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { sleep, until } from '@plexus/testing'
import { workOn } from './fixtures/work.js'
import { spawnNode, attachedFrom, clusterNode, natsServer, routedTo, skip } from './helpers.js'

const WINDOW = 1500

/** Starts the fixture node `node` in its own process and waits for it to say ready. */

const work = workOn('c')

test(
  'a node SIGKILLed under load: calls in flight end UNAVAILABLE within the window, idempotent ones succeed elsewhere, it is unrouted, and routed again once restarted',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const a = await clusterNode(t, url, 'a', [], { livenessWindow: WINDOW, registryTtl: 60_000 })
    await clusterNode(t, url, 'c', [work], { livenessWindow: WINDOW, registryTtl: 60_000 })
    const b = await spawnNode(t, url, 'b', WINDOW)
    await routedTo(a.kernel, 'work', 'b')
    await routedTo(a.kernel, 'work', 'c')
    await routedTo(a.kernel, 'slowpoke', 'b')

    // Load: 16 loops of idempotent calls spread over b and c, and calls parked on b only.
    let running = true
    const answers = new Map<string, number>()
    const failures: unknown[] = []
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        try {
          const from = (await a.kernel.call('work.get', { ms: 20 }, { deadline: 30_000 })) as string
          answers.set(from, (answers.get(from) ?? 0) + 1)
        } catch (error) {
          failures.push(error)
          await sleep(10) // a kernel refusing at once must not spin this loop
        }
      }
    })
    const parked = Array.from({ length: 5 }, () =>
      a.kernel.call('slowpoke.hold', undefined, { deadline: 30_000 }).then(
        () => undefined,
        (error: unknown) => error,
      ),
    )
    try {
      await until('b to take part of the load', () =>
        (answers.get('b') ?? 0) > 20 ? true : undefined,
      )

      b.kill('SIGKILL')
      // They end by the link's PINGs (UNAVAILABLE), not at their 30 s deadline (TIMEOUT).
      const ended = await Promise.all(parked)
      for (const error of ended) {
        assert.ok(isPlexusError(error), `expected a PlexusError, got ${String(error)}`)
        assert.equal(error.code, 'UNAVAILABLE')
        assert.equal(error.retryable, true)
      }
      await until('b to be unrouted', () =>
        attachedFrom(a.kernel, 'work', 'b') === 0 && attachedFrom(a.kernel, 'slowpoke', 'b') === 0
          ? true
          : undefined,
      )
      // No zombie: the dead process's registry entry is deleted once its ping finds no responder.
      const nc = await connect({ servers: url })
      t.after(() => nc.close())
      const registry = await new Kvm(nc).open('plexus_test_nodes')
      await until('b’s registry entry to be gone', async () =>
        (await registry.get('b'))?.operation === 'PUT' ? undefined : true,
      )
      const fromC = answers.get('c') ?? 0
      await until('c to carry the load alone', () =>
        (answers.get('c') ?? 0) > fromC + 50 ? true : undefined,
      )
      assert.deepEqual(failures, [], 'idempotent calls were retried on c')

      // Restarted under the same id: routed again.
      await spawnNode(t, url, 'b', WINDOW)
      await routedTo(a.kernel, 'work', 'b')
      const fromB = answers.get('b') ?? 0
      await until('b to serve again', () =>
        (answers.get('b') ?? 0) > fromB + 20 ? true : undefined,
      )
      running = false
      await Promise.all(loops)
      assert.deepEqual(failures, [])
      // The restarted process serves slowpoke again (it holds the call until the deadline).
      await routedTo(a.kernel, 'slowpoke', 'b')
      const held = await a.kernel
        .call('slowpoke.hold', undefined, { deadline: 100 })
        .catch((e) => e)
      assert.equal((held as { code?: string }).code, 'TIMEOUT')
    } finally {
      running = false
    }
  },
)
