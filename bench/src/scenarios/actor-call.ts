/**
 * A call to an already active virtual actor (@plexus/actors over a memory kv) against a plain
 * in-process call to an ordinary service doing the same work, in the same run (issue 15).
 */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add, type AddInput } from '../fixtures/payload.js'
import { startKernel } from '../fixtures/plexus.js'

// Every request goes to this one key: the actor is activated by the first (warm-up) request and
// stays active, so the measurement is the turn path, never a load from the store.
const INPUT = Object.freeze({ id: 'k1', ...ADD_PAYLOAD })

export default defineScenario({
  kind: 'requests',
  name: 'actor-call',
  title: 'call to an active actor',
  requests: 400_000,
  notes:
    "Plexus: `kernel.call('adder.add', { id: 'k1', a, b })` to an actor defined with `defineActor` (memory kv backend, one key, activated by the warm-up) whose `add` is a query (declared read-only, so its turn is never compared or saved) answering a + b + `self.state.offset` (0): it reads the state. Floor: the same kernel API to a plain `math.add` service, i.e. the plain in-process call (not a bare function). At c100 all lanes go to the one key: one turn at a time (synchronous turns never queue).",
  impls: {
    floor: async () => {
      const kernel = await startKernel()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
    plexus: async () => {
      const { createKernel } = await import('@plexus/kernel')
      const { defineActor } = await import('@plexus/actors')
      const { kvService, memoryBackend } = await import('@plexus/kv')
      const adder = defineActor({
        name: 'adder',
        state: () => ({ offset: 0 }),
        actions: {},
        queries: {
          add: (self, input: { id: string } & AddInput) => add(input) + self.state.offset,
        },
      })
      const kernel = createKernel()
      kernel.add(kvService({ backend: memoryBackend() })).add(adder)
      await kernel.start()
      await kernel.call('adder.add', INPUT)
      return { op: () => kernel.call('adder.add', INPUT), close: () => kernel.stop() }
    },
  },
})
