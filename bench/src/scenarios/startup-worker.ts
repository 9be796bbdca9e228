/** Start-up of one worker-placed service from the built packages: `kernel.start()` to ready. */
import { Worker } from 'node:worker_threads'
import { defineScenario } from '../scenario.js'
import { startBuilt } from '../fixtures/startup-dist.js'

export default defineScenario({
  kind: 'startup',
  name: 'startup-worker',
  title: 'start-up, 1 worker-placed service ready',
  notes:
    "Plexus as it runs in production: a plain `node` process (no tsx) loads the built packages (`dist`, run `npm run build` first; `npm run bench` does) and a plain JavaScript `math` module, then times `kernel.start()` to ready with `placement: 'worker'` (the worker loads the built guest entry and the module). Through tsx from the TypeScript sources, as the tests run, the worker also loads tsx: about 200 ms more. Floor: a bare `new Worker` that posts one message, no loader.",
  impls: {
    floor: async () => async () => {
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(1)", {
        eval: true,
      })
      await new Promise((resolve) => worker.once('message', resolve))
      return () => worker.terminate()
    },
    plexus: async () => () => startBuilt('worker'),
  },
})
