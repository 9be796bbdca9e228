/** In-process call with every resilience feature on: deadline, retry and circuit breaker. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'
import type { AddInput } from '../fixtures/payload.js'
import { kernelModule } from '../fixtures/plexus.js'

export default defineScenario({
  kind: 'requests',
  name: 'call-full',
  title: 'in-process call + deadline + retry + circuit breaker',
  requests: 500_000,
  notes:
    'Moleculer with `requestTimeout: 10000`, `retryPolicy` (3 retries) and `circuitBreaker` enabled. Plexus with `deadline: 10000` and the @plexus/resilience plug-in (retry with 3 retries under its budget, circuit breaker), both with their default settings otherwise.',
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
    plexus: async () => {
      const { createKernel, defineService } = await kernelModule()
      const { resilience } = await import('@plexus/resilience')
      const kernel = createKernel({
        deadline: 10_000,
        plugins: [resilience({ retry: { retries: 3 } })],
      })
      kernel.add(
        defineService({
          name: 'math',
          version: 1,
          actions: { add: (_ctx, input: AddInput) => add(input) },
        }),
      )
      await kernel.start()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
