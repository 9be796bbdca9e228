import { CallContext, type Bus } from './call-context.js'
import { PlexusError } from './errors.js'
import type { Compile, EventFailure } from './handler-table.js'
import { InlineLink } from './inline-link.js'
import { Instance } from './instance.js'
import type { InstanceLink } from './instance-link.js'
import type { AddOptions, KernelConfig, Placement } from './kernel-types.js'
import { balancerFactory } from './balancer.js'
import { VersionEntry, type ServiceEntry } from './registry.js'
import type { ServiceDefinition } from './service.js'
import { sleep, withTimeout } from './timing.js'

/** What starting and stopping versions needs from the kernel. */
export interface LifecycleDeps {
  readonly config: KernelConfig
  readonly placements: ReadonlyMap<string, Placement>
  readonly bus: Bus
  /** The kernel's inbound interceptors (changes as interceptors are added). */
  readonly compile: () => Compile
  readonly onEventFailure: EventFailure
  /** Where lifecycle events go and routing caches are told of changes (the router). */
  readonly events: LifecycleEvents
  /** This kernel's node id: it qualifies every instance id. */
  readonly node: string
}

/** What the lifecycle tells the router. */
export interface LifecycleEvents {
  /** Publishes a `plexus.service.*` event to its subscribers, if any. */
  announce(topic: string, payload: unknown): void
  /** The subscriptions of `service` changed (a version started, failed or was replaced). */
  topicsChanged(service: ServiceEntry): void
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
  readonly #compile: () => Compile
  readonly #onEventFailure: EventFailure
  readonly #events: LifecycleEvents
  readonly #node: string
  #next = 0

  constructor(deps: LifecycleDeps) {
    this.#config = deps.config
    this.#placements = deps.placements
    this.#bus = deps.bus
    this.#compile = deps.compile
    this.#onEventFailure = deps.onEventFailure
    this.#events = deps.events
    this.#node = deps.node
  }

  /** The kernel's side of an instance reached through `link`. */
  instance(entry: VersionEntry, link: InstanceLink, local: boolean): Instance {
    return new Instance(
      link,
      entry.definition,
      this.#config.clock,
      this.#onEventFailure,
      this.#compile(),
      local,
      link instanceof InlineLink ? link : undefined,
    )
  }

  /**
   * The entry that replaces `service`'s versions: what `options` leaves out (instances,
   * placement, module, settings) is taken from the current version.
   */
  replacement(
    service: ServiceEntry,
    definition: ServiceDefinition,
    options: AddOptions | undefined,
    checkPlacement: boolean,
  ): VersionEntry {
    const template = service.current ?? service.versions.values().next().value
    const module = options?.module ?? template?.module
    return this.entry(
      service,
      definition,
      {
        instances: options?.instances ?? template?.count ?? 1,
        placement: options?.placement ?? template?.placement ?? 'inline',
        ...(module === undefined ? {} : { module }),
        settings: options?.settings ?? template?.settings ?? {},
        ...(options?.balancer === undefined ? {} : { balancer: options.balancer }),
      },
      checkPlacement,
    )
  }

  /**
   * Puts `entry` in place of every version of `service` in one synchronous step (no message
   * can be routed between the two sets), announces `plexus.service.replaced`, then drains and
   * stops the old versions.
   */
  async switchTo(service: ServiceEntry, entry: VersionEntry): Promise<void> {
    const old = [...service.versions.values()]
    service.versions.clear()
    service.versions.set(entry.version, entry)
    this.#markDraining(service, old)
    this.#events.topicsChanged(service)
    this.#events.announce('plexus.service.replaced', {
      service: service.name,
      from: old.map((v) => v.version),
      to: entry.version,
    })
    await this.retire(old)
  }

  /** Drains and stops every version of a service that was unregistered. */
  async removeAll(service: ServiceEntry): Promise<void> {
    const old = [...service.versions.values()]
    this.#markDraining(service, old)
    await this.retire(old)
  }

  /**
   * A new version entry from `add`/`replace` options. Before the kernel starts, plug-ins that
   * register placements have not loaded yet, so `checkPlacement` is false and start() checks.
   */
  entry(
    service: ServiceEntry,
    definition: ServiceDefinition,
    options: AddOptions,
    checkPlacement: boolean,
  ): VersionEntry {
    const instances = options.instances ?? 1
    if (!Number.isInteger(instances) || instances < 1) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Service '${definition.name}': instances must be a positive integer, got ${String(instances)}`,
      )
    }
    const placement = options.placement ?? 'inline'
    if (checkPlacement) this.assertPlacement(definition.name, placement)
    return new VersionEntry(
      service,
      definition.version ?? 1,
      definition,
      balancerFactory(options.balancer)(),
      placement,
      instances,
      options.module,
      options.settings ?? {},
    )
  }

  /** Refuses a placement nobody registered, naming the known ones. */
  assertPlacement(service: string, placement: string): void {
    if (this.#placements.has(placement)) return
    const known = [...this.#placements.keys()]
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `Service '${service}': unknown placement '${placement}' (known: ${known.join(', ')})`,
      { data: { service, placement, known } },
    )
  }

  async start(entry: VersionEntry): Promise<void> {
    entry.state = 'starting'
    const name = `${entry.service.name}@${entry.version}`
    const instances: Instance[] = []
    try {
      for (let i = 0; i < entry.count; i++) {
        const id = `${this.#node}/${name}#${++this.#next}`
        const link = this.#placements.get(entry.placement)!({
          id,
          node: this.#node,
          definition: entry.definition,
          module: entry.module,
          settings: entry.settings,
          bus: this.#bus,
          logger: this.#config.logger,
          failed: (error) => this.#instanceFailed(entry, error),
        })
        instances.push(this.instance(entry, link, true))
      }
      entry.setInstances(instances)
      for (const instance of instances) {
        const ctx = this.#context(entry, 'started', this.#config.startTimeout)
        await withTimeout(
          instance.link.start(ctx),
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
      for (const instance of instances) instance.override('failed')
      entry.markFailed(failure)
      entry.service.refresh()
      this.#announceFailure(entry, failure)
      throw failure
    }
    entry.markRunning()
    entry.service.refresh()
    this.#events.topicsChanged(entry.service)
    this.#events.announce('plexus.service.started', {
      service: entry.service.name,
      version: entry.version,
      instances: entry.instances.length,
      placement: entry.placement,
    })
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
      // An attached instance's lifecycle is its owner's (a remote host, a peer node).
      if (!instance.local) continue
      try {
        const ctx = this.#context(version, 'stopped', this.#config.stopTimeout)
        await withTimeout(
          instance.link.stop(ctx),
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

  /** Drains `versions`, then stops each one and announces it. */
  async retire(versions: VersionEntry[]): Promise<void> {
    await this.drain(versions)
    for (const version of versions) {
      await this.stop(version)
      this.#events.announce('plexus.service.stopped', {
        service: version.service.name,
        version: version.version,
      })
    }
  }

  /** New messages stop reaching `versions` (failed ones keep their state). */
  #markDraining(service: ServiceEntry, versions: VersionEntry[]): void {
    for (const version of versions) if (version.state !== 'failed') version.state = 'draining'
    service.refresh()
  }

  /** An instance gave up for good; once every instance of its version has, the version fails. */
  #instanceFailed(entry: VersionEntry, error: PlexusError): void {
    if (entry.state !== 'running') return
    if (!entry.instances.every((i) => i.state === 'failed')) return
    entry.markFailed(error)
    entry.service.refresh()
    this.#events.topicsChanged(entry.service)
    this.#config.logger.error(
      { service: entry.service.name, version: entry.version, err: error },
      'Service failed: every instance gave up',
    )
    this.#announceFailure(entry, error)
  }

  #announceFailure(entry: VersionEntry, error: PlexusError): void {
    this.#events.announce('plexus.service.failed', {
      service: entry.service.name,
      version: entry.version,
      code: error.code,
      message: error.message,
    })
  }

  #context(version: VersionEntry, hook: string, budget: number): CallContext {
    return new CallContext(this.#bus, version.service.name, hook, undefined, { deadline: budget })
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
