/** In-process call while 1,000 other services (3 instances each) are registered. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { crowdedKernel } from '../fixtures/many-services.js'

export default defineScenario({
  kind: 'requests',
  name: 'call-crowded',
  title: 'in-process call, 1,000 other services registered',
  requests: 1_000_000,
  notes:
    "Plexus: the same `math.add` as in `call`, on a kernel that also runs 1,000 services × 3 instances with wildcard subscriptions. The target compares this row with `call`'s Plexus row (within 5 %).",
  impls: {
    floor: async () => ({ op: () => add(ADD_PAYLOAD) }),
    plexus: async () => {
      const kernel = await crowdedKernel(1000)
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
