import { CallContext, type Bus } from './call-context.js'
import { PlexusError } from './errors.js'
import type { Compile } from './inline-instance.js'
import type { Instance } from './instance.js'
import type { KernelConfig, Placement } from './kernel-types.js'
import type { VersionEntry } from './registry.js'
import { sleep, withTimeout } from './timing.js'

/** What starting and stopping versions needs from the kernel. */
export interface LifecycleDeps {
  readonly config: KernelConfig
  readonly placements: ReadonlyMap<string, Placement>
  readonly bus: Bus
  readonly compile: Compile
  readonly onEventFailure: (ctx: CallContext, error: PlexusError) => void
  readonly onInstanceFailed: (entry: VersionEntry, error: PlexusError) => void
}

/**
 * Starts, drains and stops service versions: instances built by their placement, each
 * `started` hook bounded by the start timeout, drains bounded by the drain timeout, and a
 * failing `stopped` hook logged without keeping the other instances from stopping.
 */
export class VersionLifecycle {
  readonly #config: KernelConfig
  readonly #placements: ReadonlyMap<string, Placement>
  readonly #bus: Bus
  readonly #compile: Compile
  readonly #onEventFailure: LifecycleDeps['onEventFailure']
  readonly #onInstanceFailed: LifecycleDeps['onInstanceFailed']
  #next = 0

  constructor(deps: LifecycleDeps) {
    this.#config = deps.config
    this.#placements = deps.placements
    this.#bus = deps.bus
    this.#compile = deps.compile
    this.#onEventFailure = deps.onEventFailure
    this.#onInstanceFailed = deps.onInstanceFailed
  }

  async start(entry: VersionEntry): Promise<void> {
    entry.state = 'starting'
    const name = `${entry.service.name}@${entry.version}`
    const factory = this.#placements.get(entry.placement)!
    const instances: Instance[] = []
    for (let i = 0; i < entry.count; i++) {
      instances.push(
        factory({
          id: `${name}#${++this.#next}`,
          definition: entry.definition,
          clock: this.#config.clock,
          compile: this.#compile,
          onEventFailure: this.#onEventFailure,
          module: entry.module,
          settings: entry.settings,
          bus: this.#bus,
          logger: this.#config.logger,
          failed: (error) => this.#onInstanceFailed(entry, error),
        }),
      )
    }
    entry.instances = instances
    try {
      for (const instance of instances) {
        const ctx = this.#context(entry, 'started', this.#config.startTimeout)
        await withTimeout(
          instance.start(ctx),
          this.#config.startTimeout,
          () =>
            new PlexusError(
              'START_TIMEOUT',
              `Service '${name}' did not start within ${this.#config.startTimeout} ms`,
            ),
        )
      }
    } catch (error) {
      const failure =
        error instanceof PlexusError && error.code === 'START_TIMEOUT'
          ? error
          : new PlexusError(
              'START_FAILED',
              `Service '${name}' failed to start: ${messageOf(error)}`,
              {
                cause: error,
              },
            )
      for (const instance of instances) instance.state = 'failed'
      entry.markFailed(failure)
      entry.service.refresh()
      throw failure
    }
    entry.markRunning()
    entry.service.refresh()
    this.#config.logger.info(
      { service: entry.service.name, version: entry.version },
      'Service started',
    )
  }

  async drain(versions: VersionEntry[]): Promise<void> {
    const until = this.#config.clock.now() + this.#config.drainTimeout
    const busy = (): boolean => versions.some((v) => v.inFlight() > 0)
    while (busy() && this.#config.clock.now() < until) await sleep(5)
    if (busy()) {
      this.#config.logger.warn(
        { services: versions.map((v) => `${v.service.name}@${v.version}`) },
        `Drain timeout (${this.#config.drainTimeout} ms) passed with work still in flight`,
      )
    }
  }

  async stop(version: VersionEntry): Promise<void> {
    if (version.state === 'stopped') return
    const wasStarted = version.state !== 'registered' && version.state !== 'failed'
    version.state = 'stopped'
    version.service.refresh()
    if (!wasStarted) return
    for (const instance of version.instances) {
      try {
        const ctx = this.#context(version, 'stopped', this.#config.stopTimeout)
        await withTimeout(
          instance.stop(ctx),
          this.#config.stopTimeout,
          () =>
            new PlexusError(
              'TIMEOUT',
              `Service '${instance.id}' did not stop within ${this.#config.stopTimeout} ms`,
            ),
        )
      } catch (error) {
        this.#config.logger.error(
          { instance: instance.id, err: error },
          'Service failed to stop cleanly',
        )
      }
    }
  }

  #context(version: VersionEntry, hook: string, budget: number): CallContext {
    return new CallContext(this.#bus, version.service.name, hook, undefined, { deadline: budget })
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
