/** Start-up of one worker-placed service: from `createKernel` to `start()` resolved. */
import { Worker } from 'node:worker_threads'
import { defineScenario } from '../scenario.js'
import { isolatedKernel } from '../fixtures/plexus-isolated.js'

export default defineScenario({
  kind: 'startup',
  name: 'startup-worker',
  title: 'start-up, 1 worker-placed service ready',
  notes:
    "Plexus: a kernel with the `math` module at `placement: 'worker'`, timed to `start()` resolved (the worker loads tsx, the kernel source and the module). Floor: a bare `new Worker` that posts one message, no loader.",
  impls: {
    floor: async () => async () => {
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(1)", {
        eval: true,
      })
      await new Promise((resolve) => worker.once('message', resolve))
      return () => worker.terminate()
    },
    plexus: async () => {
      const start = await isolatedKernel('worker')
      return async () => {
        const kernel = await start()
        return () => kernel.stop()
      }
    },
  },
})
