import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService } from '@plexus/kernel'
import v1 from './fixtures/versioned.js'
import v2 from './fixtures/versioned-v2.js'
import { reportGates, scale } from '@plexus/testing'
import { eventually, fixture, isolatedKernel, sleep } from './helpers.js'

/** T1: each phase lasts 50 answers more, and at full scale 10 s too (RELIABILITY.md's phases). */
const PHASE_MS = scale({ small: 0, full: 10_000 })

for (const [from, to] of [
  ['worker', 'worker'],
  ['process', 'process'],
  ['inline', 'worker'],
  ['worker', 'process'],
] as const) {
  describe(`hot replace: ${from} to ${to}`, () => {
    it('starts the new code in a fresh guest, switches, drains the old one: 0 failed calls, every event handled exactly once', async () => {
      const kernel = isolatedKernel()
      // Each tick the versioned service handles is reported here: n -> how many times, by whom.
      const hits = new Map<number, number[]>()
      kernel.add(
        defineService({
          name: 'recorder',
          actions: {
            hit: (_ctx, { n, v }: { n: number; v: number }) => {
              hits.set(n, [...(hits.get(n) ?? []), v])
            },
          },
        }),
      )
      kernel.add(v1, from === 'inline' ? {} : { placement: from, module: fixture('versioned') })
      await kernel.start()
      const answers: unknown[] = []
      const errors: unknown[] = []
      let running = true
      const loops = Array.from({ length: 10 }, async () => {
        while (running) {
          await kernel.call('versioned.which').then(
            (v) => answers.push(v),
            (e: unknown) => errors.push(e),
          )
        }
      })
      let ticks = 0
      const emitter = (async () => {
        while (running) {
          kernel.emit(`tick.${ticks % 7}`, ticks++)
          await sleep(1)
        }
      })()
      // Each phase lasts until 50 more answers (and PHASE_MS), not a fixed time.
      const t0 = performance.now()
      const phase = (done: () => boolean) => {
        const start = performance.now()
        return eventually(() => done() && performance.now() - start >= PHASE_MS, PHASE_MS + 10_000)
      }
      assert.ok(await phase(() => answers.length >= 50), 'v1 served')
      await kernel.replace('versioned', v2, { placement: to, module: fixture('versioned-v2') })
      const switched = answers.length
      const ticksAtSwitch = ticks
      assert.ok(
        await phase(() => answers.length >= switched + 50 && ticks >= ticksAtSwitch + 20),
        'v2 served',
      )
      running = false
      await Promise.all([...loops, emitter])
      const allHandled = await eventually(() => hits.size === ticks)
      const twice = [...hits].filter(([, by]) => by.length !== 1)
      const seconds = (performance.now() - t0) / 1000
      reportGates(
        `T1 ${from}->${to}`,
        `${seconds.toFixed(0)} s, c=10, 1 replace, ${ticks} events`,
        {
          calls: answers.length,
          failed: errors.length,
          lostEvents: ticks - hits.size,
          duplicatedEvents: twice.length,
        },
      )
      assert.deepEqual(errors, [])
      assert.ok(allHandled, `${hits.size} of ${ticks} ticks handled`)
      assert.deepEqual(twice, [], 'no tick handled twice')
      assert.ok(
        [...hits.values()].some(([v]) => v === 1) && [...hits.values()].some(([v]) => v === 2),
        'both versions handled ticks',
      )
      assert.equal(kernel.counters.eventErrors, 0)
      assert.ok(answers.slice(0, 5).every((a) => a === 1))
      assert.ok(
        answers.slice(switched + 10).every((a) => a === 2),
        'only v2 answers after the switch',
      )
      assert.equal(await kernel.call('versioned.which'), 2)
      const status = kernel.services().find((s) => s.name === 'versioned')!
      assert.equal(status.version, 2)
      assert.equal(status.instances[0]!.placement, to)
      await kernel.stop()
    })
  })
}
