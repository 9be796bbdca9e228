import { Worker } from 'node:worker_threads'
import type { GuestExit, Spawn } from './guest-handle.js'
import { entryUrl, isTypeScript, tsxApi } from './guest-loader.js'

// A worker does not inherit the loader hooks of `--import tsx` on Node 20, so a TypeScript
// entry or module registers tsx inside the worker before importing the entry.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads')
const ready = workerData.tsx ? import(workerData.tsx).then((api) => api.register()) : Promise.resolve()
ready.then(() => import(workerData.entry))
`
const NOT_A_FRAME = Buffer.from([0xff, 0xff, 0xff, 0xff])

/** Starts a guest in a worker thread, with the memory limits given. */
export const spawnWorker: Spawn = (spec, events) => {
  const entry = entryUrl('worker-guest')
  const needsTsx = isTypeScript(entry.href) || isTypeScript(spec.module)
  const resourceLimits: Record<string, number> = {}
  if (spec.maxOldGenerationSizeMb !== undefined)
    resourceLimits.maxOldGenerationSizeMb = spec.maxOldGenerationSizeMb
  if (spec.maxYoungGenerationSizeMb !== undefined)
    resourceLimits.maxYoungGenerationSizeMb = spec.maxYoungGenerationSizeMb
  if (spec.stackSizeMb !== undefined) resourceLimits.stackSizeMb = spec.stackSizeMb
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      entry: entry.href,
      tsx: needsTsx ? tsxApi() : undefined,
      module: spec.module,
      id: spec.id,
    },
    resourceLimits,
  })
  let failure: Error | undefined
  worker.on('message', (message: unknown) => {
    events.data(typeof message === 'string' ? Buffer.from(message, 'latin1') : NOT_A_FRAME)
  })
  worker.on('error', (error) => (failure ??= error))
  worker.on('exit', (code) => {
    const exit: GuestExit = { reason: reasonOf(failure, code) }
    if (failure !== undefined) exit.error = failure
    events.exit(exit)
  })
  return {
    pid: undefined,
    threadId: worker.threadId,
    write: (chunk) => worker.postMessage(chunk.toString('latin1')),
    close: () => void worker.terminate(),
    kill: () => void worker.terminate(),
  }
}

function reasonOf(failure: Error | undefined, code: number): string {
  const errorCode = (failure as { code?: unknown } | undefined)?.code
  if (typeof errorCode === 'string') return errorCode
  if (failure !== undefined) return 'uncaught'
  return `exit ${code}`
}
