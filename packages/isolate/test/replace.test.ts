import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import v1 from './fixtures/versioned.js'
import v2 from './fixtures/versioned-v2.js'
import { fixture, isolatedKernel, sleep } from './helpers.js'

for (const [from, to] of [
  ['worker', 'worker'],
  ['process', 'process'],
  ['inline', 'worker'],
  ['worker', 'process'],
] as const) {
  describe(`hot replace: ${from} to ${to}`, () => {
    it('starts the new code in a fresh guest, switches, drains the old one: 0 failed calls under load', async () => {
      const kernel = isolatedKernel()
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
      await sleep(100)
      await kernel.replace('versioned', v2, { placement: to, module: fixture('versioned-v2') })
      const switched = answers.length
      await sleep(100)
      running = false
      await Promise.all(loops)
      assert.deepEqual(errors, [])
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
