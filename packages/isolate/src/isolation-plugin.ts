import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  PlexusError,
  definePlugin,
  type Kernel,
  type Placement,
  type PlacementRequest,
  type Plugin,
} from '@plexus/kernel'
import type { Spawn } from './guest-handle.js'
import { InstancePool, type PoolHost } from './instance-pool.js'
import { IsolatedInstance } from './isolated-instance.js'
import { resolveSettings, type IsolationSettings } from './isolation-settings.js'
import { resolvePool, type ResolvedPool } from './pool-settings.js'
import { spawnProcess } from './spawn-process.js'
import { spawnWorker } from './spawn-worker.js'
import { SupervisionGroup, type GroupPolicy } from './supervision-group.js'

/** The plug-in's options: default settings for every instance, and the supervision groups. */
export interface IsolationOptions extends IsolationSettings {
  /** Supervision groups by name; an instance joins one with the setting `group: name`. */
  groups?: Readonly<Record<string, GroupPolicy>>
}

type Groups = ReadonlyMap<string, SupervisionGroup>

/**
 * Builds a placement that runs each instance in a guest started by `spawn`. With `kernel`, a
 * service whose setting `instances` is `{ min, max }` gets an autoscaled pool over its slots.
 */
function isolatedPlacement(
  name: string,
  spawn: Spawn,
  defaults: IsolationOptions,
  groups: Groups,
  kernel?: Kernel<any>,
): Placement {
  // The kernel asks for a version's instances in one synchronous loop: one pool per loop.
  let building: { pool: InstancePool; definition: unknown } | undefined
  return (request) => {
    const where = `Service '${request.definition.name}' (placement '${name}')`
    if (request.module === undefined) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${where} needs the 'module' option: the file whose default export is the service`,
      )
    }
    const settings = resolveSettings(defaults, request.settings, where)
    const group = settings.group === undefined ? undefined : groups.get(settings.group)
    if (settings.group !== undefined && group === undefined) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${where}: no supervision group '${settings.group}' (groups: ${[...groups.keys()].join(', ') || 'none'})`,
      )
    }
    const pooled = resolvePool(request.settings['instances'], where)
    let pool: InstancePool | undefined
    if (pooled !== undefined) {
      if (kernel === undefined) {
        throw new PlexusError(
          'INVALID_ARGUMENT',
          `${where}: setting 'instances: { min, max }' needs the placements of installIsolation(kernel) or isolation()`,
        )
      }
      if (building === undefined || building.definition !== request.definition) {
        building = { pool: newPool(kernel, request, name, pooled), definition: request.definition }
        queueMicrotask(() => {
          building = undefined
        })
      }
      pool = building.pool
    }
    return new IsolatedInstance(
      request,
      name,
      spawn,
      settings,
      moduleUrl(request.module),
      group,
      pool,
    )
  }
}

/** A pool for one version, reading the kernel's figures of it. */
function newPool(
  kernel: Kernel<any>,
  request: PlacementRequest,
  placement: string,
  settings: ResolvedPool,
): InstancePool {
  const service = request.definition.name
  const version = request.definition.version ?? 1
  const host: PoolHost = {
    figures: () => {
      const status = kernel.services().find((s) => s.name === service && s.version === version)
      return new Map((status?.instances ?? []).map((i) => [i.id, i]))
    },
    announce: (topic, payload) => request.bus.announce(topic, payload),
    drainTimeout: kernel.config.drainTimeout,
    warn: (fields, message) => request.logger.warn(fields, message),
  }
  return new InstancePool(settings, host, { service, version, placement }, () => request.bus.now())
}

/** The `worker` placement: each instance in its own worker thread. */
export function workerPlacement(options: IsolationOptions = {}): Placement {
  return isolatedPlacement('worker', spawnWorker, options, groupsOf(options))
}

/** The `process` placement: each instance in its own child process. */
export function processPlacement(options: IsolationOptions = {}): Placement {
  return isolatedPlacement('process', spawnProcess, options, groupsOf(options))
}

function groupsOf(options: IsolationOptions): Groups {
  const groups = new Map<string, SupervisionGroup>()
  for (const [name, policy] of Object.entries(options.groups ?? {})) {
    groups.set(name, new SupervisionGroup(name, policy))
  }
  return groups
}

/**
 * Registers the `worker` and `process` placements on a kernel now (use it when services are
 * added before `kernel.start()`, since plug-ins only load at start).
 */
export function installIsolation<K extends Kernel<any>>(
  kernel: K,
  options: IsolationOptions = {},
): K {
  // One set of groups for both placements: a group may hold workers and child processes.
  const groups = groupsOf(options)
  kernel.placement('worker', isolatedPlacement('worker', spawnWorker, options, groups, kernel))
  kernel.placement('process', isolatedPlacement('process', spawnProcess, options, groups, kernel))
  return kernel
}

/**
 * The isolation plug-in: adds the `worker` and `process` placements.
 *
 * @example
 * const kernel = createKernel({ plugins: [isolation({ restart: { intensity: 5, period: 10_000 } })] })
 * // A group: kernel.add(db, { placement: 'worker', module, settings: { group: 'store' } })
 * isolation({ groups: { store: { strategy: 'rest_for_one', intensity: 3, period: 5_000 } } })
 */
export function isolation(defaults: IsolationOptions = {}): Plugin<Kernel<any>> {
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
