/** In-process call with every resilience feature on: deadline, retry and circuit breaker. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'

export default defineScenario({
  kind: 'requests',
  name: 'call-full',
  title: 'in-process call + deadline + retry + circuit breaker',
  requests: 500_000,
  notes:
    'Moleculer with `requestTimeout`, `retryPolicy` and `circuitBreaker` enabled. The Plexus side is added when its retry and circuit-breaker plug-ins exist.',
  impls: {
    floor: async () => ({ op: () => add(ADD_PAYLOAD) }),
    moleculer: async () => {
      const broker = await startBroker(
        {
          requestTimeout: 10_000,
          retryPolicy: { enabled: true, retries: 3 },
          circuitBreaker: { enabled: true },
        },
        [mathService()],
      )
      return { op: () => broker.call('math.add', ADD_PAYLOAD), close: () => broker.stop() }
    },
  },
})
