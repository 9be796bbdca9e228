/** Call into a worker thread: the floor is a raw MessagePort round trip. */
import { Worker } from 'node:worker_threads'
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { isolatedKernel } from '../fixtures/plexus-isolated.js'

const ECHO = `
const { parentPort } = require('node:worker_threads')
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, r: m.a + m.b }))
`

export default defineScenario({
  kind: 'requests',
  name: 'worker',
  title: 'worker-thread call',
  requests: 100_000,
  notes:
    "Floor: `postMessage({ id, a, b })` to a worker that answers `{ id, r }`, matched by id, structured clone. Plexus: `placement: 'worker'` from @plexus/isolate, the same `math` module, `kernel.call` from the main thread.",
  impls: {
    floor: async () => {
      const worker = new Worker(ECHO, { eval: true })
      const waiting = new Map<number, (r: number) => void>()
      worker.on('message', ({ id, r }: { id: number; r: number }) => {
        const resolve = waiting.get(id)
        waiting.delete(id)
        resolve?.(r)
      })
      await new Promise((resolve) => worker.once('online', resolve))
      let nextId = 0
      return {
        op: () =>
          new Promise<number>((resolve) => {
            const id = nextId++
            waiting.set(id, resolve)
            worker.postMessage({ id, a: ADD_PAYLOAD.a, b: ADD_PAYLOAD.b })
          }),
        close: () => worker.terminate(),
      }
    },
    plexus: async () => {
      const kernel = await (await isolatedKernel('worker'))()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
