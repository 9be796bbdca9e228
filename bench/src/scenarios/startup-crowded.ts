/** Start-up: from nothing to 1,000 inline services (3 instances each) ready, against 10. */
import { defineScenario } from '../scenario.js'
import { crowdedKernel } from '../fixtures/many-services.js'

export default defineScenario({
  kind: 'startup',
  name: 'startup-crowded',
  title: 'start-up, 1,000 inline services × 3 instances ready',
  notes:
    "The `startup` scenario's kernel with 1,000 more services (3 instances, two actions, two wildcard subscriptions each): the target compares the time per service with `startup`'s 10 (no worse than linear).",
  impls: {
    plexus: async () => {
      await import('@plexus/kernel')
      return async () => {
        const kernel = await crowdedKernel(1000)
        return () => kernel.stop()
      }
    },
  },
})
