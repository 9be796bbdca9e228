/** In-process call whose input is validated before the handler runs. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import type { AddInput } from '../fixtures/payload.js'
import { mathService, startBroker } from '../fixtures/moleculer.js'
import { kernelModule } from '../fixtures/plexus.js'

function isAddInput(value: unknown): value is AddInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AddInput).a === 'number' &&
    typeof (value as AddInput).b === 'number'
  )
}

/** A hand-written Standard Schema: the same checks fastest-validator compiles for Moleculer. */
const addSchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'bench',
    validate: (value: unknown) =>
      isAddInput(value)
        ? { value }
        : { issues: [{ message: 'expected { a: number, b: number }' }] },
  },
}

export default defineScenario({
  kind: 'requests',
  name: 'call-validation',
  title: 'in-process call, input validated',
  requests: 1_000_000,
  notes:
    "Moleculer validates with its built-in fastest-validator (`params: { a: 'number', b: 'number' }`); Plexus with a hand-written Standard Schema doing the same two type checks; the floor checks by hand.",
  impls: {
    floor: async () => ({
      op: () => {
        if (!isAddInput(ADD_PAYLOAD)) throw new TypeError('invalid')
        return add(ADD_PAYLOAD)
      },
    }),
    moleculer: async () => {
      const broker = await startBroker({}, [mathService({ a: 'number', b: 'number' })])
      return { op: () => broker.call('math.add', ADD_PAYLOAD), close: () => broker.stop() }
    },
    plexus: async () => {
      const { createKernel, defineService } = await kernelModule()
      const kernel = createKernel()
      kernel.add(
        defineService({
          name: 'math',
          version: 1,
          actions: { add: { input: addSchema, handler: (_ctx, input: AddInput) => add(input) } },
        }),
      )
      await kernel.start()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
