/** Start-up of one process-placed service: from `createKernel` to `start()` resolved. */
import { spawn } from 'node:child_process'
import { defineScenario } from '../scenario.js'
import { isolatedKernel } from '../fixtures/plexus-isolated.js'

export default defineScenario({
  kind: 'startup',
  name: 'startup-process',
  title: 'start-up, 1 process-placed service ready',
  notes:
    "Plexus: a kernel with the `math` module at `placement: 'process'`, timed to `start()` resolved (the child loads tsx, the kernel source and the module). Floor: a bare `node` child that sends one IPC message, no loader.",
  impls: {
    floor: async () => async () => {
      const child = spawn(process.execPath, ['-e', 'process.send(1)'], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      })
      await new Promise((resolve) => child.once('message', resolve))
      return () => void child.kill()
    },
    plexus: async () => {
      const start = await isolatedKernel('process')
      return async () => {
        const kernel = await start()
        return () => kernel.stop()
      }
    },
  },
})
