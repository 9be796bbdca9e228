/** Start-up: from nothing to 10 inline services ready (modules already loaded). */
import { defineScenario } from '../scenario.js'
import { mathService } from '../fixtures/moleculer.js'
import { add } from '../fixtures/payload.js'
import type { AddInput } from '../fixtures/payload.js'

const SERVICES = 10

export default defineScenario({
  kind: 'startup',
  name: 'startup',
  title: 'start-up, 10 inline services ready',
  notes:
    'Timed from creating the kernel/broker to `start()` resolved; module loading is not timed. Moleculer starts its internal `$node` service too (its default).',
  impls: {
    moleculer: async () => {
      const { ServiceBroker } = await import('moleculer')
      return async () => {
        const broker = new ServiceBroker({ logger: false })
        for (let i = 0; i < SERVICES; i++) broker.createService(mathService(undefined, `math${i}`))
        await broker.start()
        return () => broker.stop()
      }
    },
    plexus: async () => {
      const { createKernel, defineService } = await import('@plexus/kernel')
      return async () => {
        const kernel = createKernel()
        for (let i = 0; i < SERVICES; i++)
          kernel.add(
            defineService({
              name: `math${i}`,
              version: 1,
              actions: { add: (_ctx, input: AddInput) => add(input) },
            }),
          )
        await kernel.start()
        return () => kernel.stop()
      }
    },
  },
})
