/** In-process call with a deadline on both sides. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'
import { startKernel } from '../fixtures/plexus.js'

const DEADLINE_MS = 10_000

export default defineScenario({
  kind: 'requests',
  name: 'call-deadline',
  title: 'in-process call, 10 s deadline',
  requests: 1_000_000,
  notes:
    'Moleculer with `requestTimeout: 10000`; Plexus with `{ deadline: 10000 }` passed on each call.',
  impls: {
    floor: async () => ({ op: () => add(ADD_PAYLOAD) }),
    moleculer: async () => {
      const broker = await startBroker({ requestTimeout: DEADLINE_MS }, [mathService()])
      return { op: () => broker.call('math.add', ADD_PAYLOAD), close: () => broker.stop() }
    },
    plexus: async () => {
      const kernel = await startKernel()
      const options = { deadline: DEADLINE_MS }
      return {
        op: () => kernel.call('math.add', ADD_PAYLOAD, options),
        close: () => kernel.stop(),
      }
    },
  },
})
