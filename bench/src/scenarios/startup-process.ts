/** Start-up of one process-placed service from the built packages: `kernel.start()` to ready. */
import { spawn } from 'node:child_process'
import { defineScenario } from '../scenario.js'
import { startBuilt } from '../fixtures/startup-dist.js'

export default defineScenario({
  kind: 'startup',
  name: 'startup-process',
  title: 'start-up, 1 process-placed service ready',
  notes:
    "Plexus as it runs in production: a plain `node` process (no tsx) loads the built packages (`dist`, run `npm run build` first; `npm run bench` does) and a plain JavaScript `math` module, then times `kernel.start()` to ready with `placement: 'process'` (the child loads the built guest entry and the module). Through tsx from the TypeScript sources, as the tests run, the child also loads tsx: about 200 ms more. Floor: a bare `node` child that sends one IPC message, no loader.",
  impls: {
    floor: async () => async () => {
      const child = spawn(process.execPath, ['-e', 'process.send(1)'], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      })
      await new Promise((resolve) => child.once('message', resolve))
      return () => void child.kill()
    },
    plexus: async () => () => startBuilt('process'),
  },
})
