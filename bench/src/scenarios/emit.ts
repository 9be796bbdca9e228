/** Emit to one subscriber: op resolves when the subscriber has run, on every side. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, Arrivals } from '../fixtures/payload.js'
import { startBroker } from '../fixtures/moleculer.js'
import { kernelModule } from '../fixtures/plexus.js'

export default defineScenario({
  kind: 'requests',
  name: 'emit',
  title: 'emit to 1 subscriber',
  requests: 1_000_000,
  notes:
    "Each op emits one event and resolves when the subscriber has run (both are fire-and-forget, so the bench waits on the subscriber's side); Moleculer's `broker.emit` promise is not awaited.",
  impls: {
    floor: async () => {
      const arrivals = new Arrivals()
      const handler = (_payload: unknown) => arrivals.hit()
      return {
        op: () => {
          const arrived = arrivals.wait()
          handler(ADD_PAYLOAD)
          return arrived
        },
      }
    },
    moleculer: async () => {
      const arrivals = new Arrivals()
      const broker = await startBroker({}, [
        { name: 'sink', events: { 'bench.ping': () => arrivals.hit() } },
      ])
      return {
        op: () => {
          const arrived = arrivals.wait()
          void broker.emit('bench.ping', ADD_PAYLOAD)
          return arrived
        },
        close: () => broker.stop(),
      }
    },
    plexus: async () => {
      const arrivals = new Arrivals()
      const { createKernel, defineService } = await kernelModule()
      const kernel = createKernel()
      kernel.add(
        defineService({ name: 'sink', version: 1, events: { 'bench.ping': () => arrivals.hit() } }),
      )
      await kernel.start()
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
