import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PlexusError, definePlugin, type Kernel, type Placement, type Plugin } from '@plexus/kernel'
import type { Spawn } from './guest-handle.js'
import { IsolatedInstance } from './isolated-instance.js'
import { resolveSettings, type IsolationSettings } from './isolation-settings.js'
import { spawnProcess } from './spawn-process.js'
import { spawnWorker } from './spawn-worker.js'

/** Builds a placement that runs each instance in a guest started by `spawn`. */
function isolatedPlacement(name: string, spawn: Spawn, defaults: IsolationSettings): Placement {
  return (request) => {
    const where = `Service '${request.definition.name}' (placement '${name}')`
    if (request.module === undefined) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${where} needs the 'module' option: the file whose default export is the service`,
      )
    }
    const settings = resolveSettings(defaults, request.settings, where)
    return new IsolatedInstance(request, name, spawn, settings, moduleUrl(request.module))
  }
}

/** The `worker` placement: each instance in its own worker thread. */
export function workerPlacement(defaults: IsolationSettings = {}): Placement {
  return isolatedPlacement('worker', spawnWorker, defaults)
}

/** The `process` placement: each instance in its own child process. */
export function processPlacement(defaults: IsolationSettings = {}): Placement {
  return isolatedPlacement('process', spawnProcess, defaults)
}

/**
 * Registers the `worker` and `process` placements on a kernel now (use it when services are
 * added before `kernel.start()`, since plug-ins only load at start).
 */
export function installIsolation<K extends Kernel<any>>(
  kernel: K,
  defaults: IsolationSettings = {},
): K {
  kernel.placement('worker', workerPlacement(defaults))
  kernel.placement('process', processPlacement(defaults))
  return kernel
}

/**
 * The isolation plug-in: adds the `worker` and `process` placements.
 *
 * @example
 * const kernel = createKernel({ plugins: [isolation({ restart: { intensity: 5, period: 10_000 } })] })
 */
export function isolation(defaults: IsolationSettings = {}): Plugin<Kernel<any>> {
  return definePlugin<Kernel<any>>({
    name: 'isolation',
    setup(kernel) {
      installIsolation(kernel, defaults)
    },
  })
}

/** A module reference as a file URL: relative paths resolve against the working directory. */
function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module
  return pathToFileURL(isAbsolute(module) ? module : resolve(process.cwd(), module)).href
}
