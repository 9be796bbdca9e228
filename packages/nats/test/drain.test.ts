import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { reportGates, sleep, until } from '@plexus/testing'
import { workOn } from './fixtures/work.js'
import { spawnNode, attachedFrom, clusterNode, natsServer, routedTo, skip } from './helpers.js'

/** The kernel's default drain timeout, which the fixture node keeps. */
const DRAIN_TIMEOUT = 5_000

const work = workOn('c')

test(
  'T11: SIGTERM on one of two serving nodes under load — peers stop routing to it before it stops accepting, 0 failed calls, it exits within the drain time + 1 s',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const a = await clusterNode(t, url, 'a', [])
    await clusterNode(t, url, 'c', [work])
    const b = await spawnNode(t, url, 'b', 3000)
    await routedTo(a.kernel, 'work', 'b')
    await routedTo(a.kernel, 'work', 'c')

    // Load from a, which serves nothing itself: 16 loops of non-idempotent calls over b and c.
    let running = true
    const answers = new Map<string, number>()
    const failures: unknown[] = []
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        try {
          const from = (await a.kernel.call('work.put', { ms: 20 }, { deadline: 30_000 })) as string
          answers.set(from, (answers.get(from) ?? 0) + 1)
        } catch (error) {
          failures.push(error)
          await sleep(10)
        }
      }
    })
    try {
      await until('b to take part of the load', () =>
        (answers.get('b') ?? 0) > 50 ? true : undefined,
      )
      const signalled = performance.now()
      let routedAtExit = -1
      const exited = once(b, 'exit').then(([code]) => {
        routedAtExit = attachedFrom(a.kernel, 'work', 'b')
        return { code: code as number | null, ms: performance.now() - signalled }
      })
      b.kill('SIGTERM')
      const exit = await exited
      assert.equal(exit.code, 0, 'b stopped by itself')
      assert.ok(
        exit.ms < DRAIN_TIMEOUT + 1_000,
        `b exited ${Math.round(exit.ms)} ms after SIGTERM (drain time + 1 s is ${DRAIN_TIMEOUT + 1_000})`,
      )
      assert.equal(routedAtExit, 0, 'a had stopped routing to b before b was gone')
      const fromC = answers.get('c') ?? 0
      await until('c to carry the load alone', () =>
        (answers.get('c') ?? 0) > fromC + 100 ? true : undefined,
      )
      running = false
      await Promise.all(loops)
      reportGates('T11', 'SIGTERM on 1 of 2 serving nodes, 16 callers, non-idempotent calls', {
        answeredByB: answers.get('b') ?? 0,
        answeredByC: answers.get('c') ?? 0,
        failed: failures.length,
        routedAtExit,
        exitMs: Math.round(exit.ms),
      })
      assert.deepEqual(failures, [], 'no call failed: b drained what it had accepted')
    } finally {
      running = false
    }
  },
)
