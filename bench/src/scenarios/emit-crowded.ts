/** Emit to one subscriber while 1,000 other services with wildcard subscriptions are registered. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, Arrivals } from '../fixtures/payload.js'
import { crowdedKernel } from '../fixtures/many-services.js'

export default defineScenario({
  kind: 'requests',
  name: 'emit-crowded',
  title: 'emit to 1 subscriber, 1,000 other services registered',
  requests: 1_000_000,
  notes:
    "Plexus: the `emit` scenario's topic on a kernel with 1,000 services × 3 instances subscribed to `svcN.*` and `all.>` (none match `bench.ping`); the target compares with `emit`'s Plexus row (within 5 %).",
  impls: {
    plexus: async () => {
      const arrivals = new Arrivals()
      const kernel = await crowdedKernel(1000, () => arrivals.hit())
      return {
        op: () => {
          const arrived = arrivals.wait()
          kernel.emit('bench.ping', ADD_PAYLOAD)
          return arrived
        },
        close: () => kernel.stop(),
      }
    },
  },
})
