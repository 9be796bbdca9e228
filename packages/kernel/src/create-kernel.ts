import type { Clock } from './clock.js'
import { systemClock } from './clock.js'
import { DeadlineWheel } from './deadline-wheel.js'
import { PlexusError } from './errors.js'
import type { Interceptor } from './interceptor.js'
import { Kernel } from './kernel.js'
import type { EventErrorReport } from './kernel-types.js'
import { createConsoleLogger, logLevelOf, type Logger } from './logger.js'
import { hostname } from 'node:os'
import type { Plugin } from './plugin.js'
import { validationInterceptor } from './validation-interceptor.js'
import { deadlineInterceptor } from './deadline-interceptor.js'

/** Options of `createKernel`; every one is optional. */
export interface KernelOptions {
  /** Default call budget in ms (default 10 000; must be finite). */
  deadline?: number
  /** Budget of each `started` hook in ms (default 10 000). */
  startTimeout?: number
  /** Budget of each `stopped` hook in ms (default 5 000). */
  stopTimeout?: number
  /** How long stop/replace/remove wait for in-flight work, in ms (default 5 000). */
  drainTimeout?: number
  /** Logger (default: JSON lines on stderr at `info`, or $PLEXUS_LOG_LEVEL). */
  logger?: Logger
  /** Time source (default: performance.now). */
  clock?: Clock
  /** Plug-ins, loaded dependencies-first when the kernel starts. */
  plugins?: Plugin<Kernel<any>>[]
  /** Interceptors added after the built-in deadline and validation steps. */
  interceptors?: Interceptor[]
  /** Called for every failed event handler, after it is logged and counted. */
  onEventError?: (report: EventErrorReport) => void
  /** This kernel's node id (default `<hostname>-<pid>`): letters, digits, `_` and `-`. */
  node?: string
  /** A running local instance wins over attached (remote) ones of a version (default true). */
  preferLocal?: boolean
}

/**
 * The composition root: chooses the defaults (clock, logger, built-in deadline and validation
 * interceptors) and returns a kernel.
 *
 * @example
 * const kernel = createKernel().add(defineService({ name: 'math', actions: { add: (ctx, { a, b }: { a: number; b: number }) => a + b } }))
 * await kernel.start()
 * await kernel.call('math.add', { a: 1, b: 2 }) // 3
 */
export function createKernel(options: KernelOptions = {}): Kernel {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? createConsoleLogger(logLevelOf(process.env.PLEXUS_LOG_LEVEL))
  const config = {
    deadline: positive('deadline', options.deadline, 10_000),
    startTimeout: positive('startTimeout', options.startTimeout, 10_000),
    stopTimeout: positive('stopTimeout', options.stopTimeout, 5_000),
    drainTimeout: positive('drainTimeout', options.drainTimeout, 5_000),
    clock,
    logger,
    onEventError: options.onEventError,
    node: nodeId(options.node),
    preferLocal: options.preferLocal ?? true,
  }
  const wheel = new DeadlineWheel(clock)
  const kernel = new Kernel(config, wheel, [
    deadlineInterceptor(wheel),
    validationInterceptor,
    ...(options.interceptors ?? []),
  ])
  for (const plugin of options.plugins ?? []) kernel.use(plugin)
  return kernel
}

function positive(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `createKernel: '${key}' must be a finite number of ms > 0, got ${String(value)}`,
    )
  }
  return value
}

const NODE_ID = /^[A-Za-z0-9][\w-]*$/

/** A node id usable in instance ids and NATS subjects: given, or `<hostname>-<pid>`. */
function nodeId(given: string | undefined): string {
  if (given === undefined) {
    const host =
      hostname()
        .replace(/[^\w-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'node'
    return `${host}-${process.pid}`
  }
  if (typeof given !== 'string' || !NODE_ID.test(given)) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `createKernel: 'node' must match ${String(NODE_ID)} (letters, digits, '_' and '-'), got ${JSON.stringify(given)}`,
    )
  }
  return given
}
