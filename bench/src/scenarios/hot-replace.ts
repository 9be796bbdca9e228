/** Hot replace under c100 load: latency of requests issued during the switch vs steady state. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'
import { kernelModule, startKernel } from '../fixtures/plexus.js'
import { add } from '../fixtures/payload.js'
import type { AddInput } from '../fixtures/payload.js'

export default defineScenario({
  kind: 'replace',
  name: 'hot-replace',
  title: 'hot replace under load (c100)',
  requests: 50_000,
  notes:
    "Plexus: `kernel.replace('math', v2)`. Moleculer has no in-place replace; its idiom is `broker.destroyService` then `broker.createService`, and calls in the gap fail (counted as errors).",
  impls: {
    moleculer: async () => {
      const broker = await startBroker({}, [mathService()])
      return {
        op: () => broker.call('math.add', ADD_PAYLOAD),
        replace: async () => {
          const old = broker.getLocalService('math')
          if (old) await broker.destroyService(old)
          broker.createService(mathService())
          await broker.waitForServices('math', 10_000, 1)
        },
        close: () => broker.stop(),
      }
    },
    plexus: async () => {
      const { defineService } = await kernelModule()
      const kernel = await startKernel()
      return {
        op: () => kernel.call('math.add', ADD_PAYLOAD),
        replace: () =>
          kernel.replace(
            'math',
            defineService({
              name: 'math',
              version: 2,
              actions: { add: (_ctx, input: AddInput) => add(input) },
            }),
          ),
        close: () => kernel.stop(),
      }
    },
  },
})
