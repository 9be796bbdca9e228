/** In-process call: the kernel's fast path against Moleculer's local call and a bare function. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'
import { startKernel } from '../fixtures/plexus.js'

export default defineScenario({
  kind: 'requests',
  name: 'call',
  title: 'in-process call',
  requests: 1_000_000,
  notes:
    'Plexus always runs with its default deadline on; Moleculer here has no request timeout (its default). See call-deadline for both with a deadline.',
  impls: {
    floor: async () => ({ op: () => add(ADD_PAYLOAD) }),
    moleculer: async () => {
      const broker = await startBroker({}, [mathService()])
      return { op: () => broker.call('math.add', ADD_PAYLOAD), close: () => broker.stop() }
    },
    plexus: async () => {
      const kernel = await startKernel()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
