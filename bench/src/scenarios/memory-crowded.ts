/** Memory after warm-up and GC with 1,000 idle services registered, against the 1-service kernel. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { crowdedKernel } from '../fixtures/many-services.js'
import call from './call.js'

export default defineScenario({
  kind: 'memory',
  name: 'memory-crowded',
  title: 'memory, 1,000 idle services × 3 instances, after 10k calls and GC',
  warmup: 10_000,
  notes:
    'The floor is the harness calling a bare function; (Plexus here − Plexus in `memory`) / 1,000 is the memory one idle service costs (3 instances, two actions, two subscriptions).',
  impls: {
    floor: call.impls.floor,
    plexus: async () => {
      const kernel = await crowdedKernel(1000)
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
