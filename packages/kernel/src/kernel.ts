import { CallContext, type Bus } from './call-context.js'
import type { CallOptions, EmitOptions, MessageContext } from './context.js'
import { DeadlineWheel } from './deadline-wheel.js'
import { PlexusError } from './errors.js'
import { dependencyOrder } from './graph.js'
import { runStopHooks } from './stop-hooks.js'
import { InlineLink } from './inline-link.js'
import type { InstanceLink } from './instance-link.js'
import { attachInstance, type AttachDeps } from './attachment.js'
import type { ServiceManifest } from './manifest.js'
import type { CallFn, EmitFn, Interceptor, StreamFn } from './interceptor.js'
import type {
  ActionDescription,
  AddOptions,
  KernelConfig,
  KernelCounters,
  KernelState,
  Placement,
  ServiceStatus,
} from './kernel-types.js'
import { InterceptorPipeline } from './pipeline.js'
import { assertPlugin, type Plugin } from './plugin.js'
import { loadPlugins, tearDown, type LoadedPlugin } from './plugin-loader.js'
import { ServiceEntry, VersionEntry, dependencyGraph, type Registry } from './registry.js'
import { Router } from './router.js'
import { assertDefinition } from './routing.js'
import type { ServiceDefinition } from './service.js'
import { rollRates, snapshot } from './status.js'
import type {
  CallAddress,
  CallArgs,
  CallInput,
  CallOutput,
  ServiceMap,
  StreamAddress,
  StreamInput,
  StreamItem,
  WithService,
} from './typed-address.js'
import { VersionLifecycle } from './version-lifecycle.js'

/**
 * The microkernel: registry, router, lifecycle and interceptor pipeline. `M` records the
 * services added so far, so `call` checks addresses and inputs and infers answers.
 */
export class Kernel<M extends ServiceMap = {}> {
  readonly #config: KernelConfig
  readonly #wheel: DeadlineWheel
  readonly #placements = new Map<string, Placement>()
  readonly #pipeline = new InterceptorPipeline()
  readonly #plugins: Plugin<Kernel<any>>[] = []
  #teardowns: LoadedPlugin[] = []
  readonly #router: Router
  readonly #registry: Registry
  readonly #bus: Bus
  #startOrder: string[] = []
  #stopping: Promise<void> | undefined
  readonly #beforeStop = new Set<() => void | Promise<void>>()
  readonly #readiness = new Set<() => string | undefined>()
  #roller: NodeJS.Timeout | undefined
  readonly #lifecycle: VersionLifecycle
  readonly #attachDeps: AttachDeps
  #call: CallFn
  #emit: EmitFn
  #stream: StreamFn

  constructor(
    config: KernelConfig,
    wheel: DeadlineWheel,
    interceptors: readonly Interceptor[] = [],
  ) {
    this.#config = config
    this.#wheel = wheel
    this.#placements.set('inline', (r) => new InlineLink(r.id, r.node, r.definition))
    const bus: Bus = {
      now: () => wheel.now(),
      defaultDeadline: config.deadline,
      logger: config.logger,
      call: (a, i, o, c) => this.#call(a, i, o, c),
      send: (a, i, o, c) => this.#send(a, i, o, c),
      emit: (t, p, o, c) => this.#emit(t, p, o, c),
      stream: (k, a, i, o, c) => this.#stream(k, a, i, o, c),
      context: (service, action) => new CallContext(bus, service, action, undefined, undefined),
      announce: (topic, payload) => this.#router.announce(topic, payload),
    }
    this.#bus = bus
    this.#router = new Router(config, wheel, this.#bus)
    this.#registry = this.#router.registry
    this.#call = this.#router.call
    this.#emit = this.#router.emit
    this.#stream = this.#router.stream
    this.#lifecycle = new VersionLifecycle({
      config,
      placements: this.#placements,
      bus: this.#bus,
      compile: () => this.#pipeline.compile,
      onEventFailure: this.#router.onEventFailure,
      events: this.#router,
      node: config.node,
    })
    this.#attachDeps = {
      state: () => this.#router.state,
      registry: this.#registry,
      lifecycle: this.#lifecycle,
      config,
      announce: (topic, payload) => this.#router.announce(topic, payload),
    }
    for (const interceptor of interceptors) this.intercept(interceptor)
  }

  /** Kernel-wide counters. */
  get counters(): KernelCounters {
    return this.#router.counters
  }

  /** The kernel's state. */
  get state(): KernelState {
    return this.#router.state
  }

  /** The kernel's settings. */
  get config(): KernelConfig {
    return this.#config
  }

  /** What an address reaches now (service, version, action, idempotent...), or undefined. */
  describe(address: string): ActionDescription | undefined {
    return this.#router.describe(address)
  }

  /** The kernel clock's current time in ms (cached while calls are pending: cheap to read). */
  now(): number {
    return this.#wheel.now()
  }

  /** Calls tracked by the deadline wheel now (a leak probe: 0 when idle). */
  get pendingCalls(): number {
    return this.#wheel.pending
  }

  /** Streams open now (a leak probe: 0 when idle). */
  get openStreams(): number {
    return this.#router.streams.size
  }

  /** Registers a service; it starts with the kernel, or at once if the kernel is running. */
  add<const D extends ServiceDefinition>(
    definition: D,
    options: AddOptions = {},
  ): Kernel<WithService<M, D>> {
    assertDefinition(definition)
    const version = definition.version ?? 1
    let service = this.#registry.get(definition.name)
    if (service?.versions.has(version)) {
      throw new PlexusError(
        'DUPLICATE_SERVICE',
        `Service '${definition.name}@${version}' is already registered`,
        { data: { service: definition.name, version } },
      )
    }
    const entry = this.#lifecycle.entry(
      service ?? new ServiceEntry(definition.name),
      definition,
      options,
      this.#router.state !== 'idle',
    )
    service = entry.service
    entry.preferLocal = this.#config.preferLocal
    this.#registry.addVersion(entry)
    if (this.#router.state === 'running') {
      this.#lifecycle.start(entry).then(
        () => this.#startOrder.push(entry.service.name),
        (error: unknown) =>
          this.#config.logger.error(
            { service: service.name, err: error },
            'Service failed to start',
          ),
      )
    }
    return this as unknown as Kernel<WithService<M, D>>
  }

  /** Adds a plug-in manifest; plug-ins load (dependencies first) when the kernel starts. */
  use(plugin: Plugin<Kernel<any>>): this {
    assertPlugin(plugin)
    if (this.#router.state !== 'idle') {
      throw new PlexusError(
        'INVALID_STATE',
        `Cannot add plug-in '${plugin.name}': kernel is ${this.#router.state}`,
      )
    }
    if (this.#plugins.some((p) => p.name === plugin.name)) {
      throw new PlexusError('DUPLICATE_PLUGIN', `Plug-in '${plugin.name}' is already registered`)
    }
    this.#plugins.push(plugin)
    return this
  }

  /** Adds an interceptor; the first added runs outermost. Handlers are recompiled once. */
  intercept(interceptor: Interceptor): this {
    this.#pipeline.add(interceptor)
    this.#call = this.#pipeline.compose('call', this.#router.call)
    this.#emit = this.#pipeline.compose('emit', this.#router.emit)
    this.#stream = this.#pipeline.compose('stream', this.#router.stream)
    if (interceptor.handle) {
      for (const service of this.#registry.values()) {
        for (const version of service.versions.values()) {
          for (const instance of version.instances) instance.compile(this.#pipeline.compile)
        }
      }
    }
    return this
  }

  /** Registers a placement (used by link plug-ins: worker, process, remote, ...). */
  placement(name: string, factory: Placement): this {
    if (this.#placements.has(name)) {
      throw new PlexusError('INVALID_ARGUMENT', `Placement '${name}' is already registered`)
    }
    this.#placements.set(name, factory)
    return this
  }

  /** Loads plug-ins, then starts every service, dependencies first. */
  async start(): Promise<void> {
    if (this.#router.state !== 'idle') {
      throw new PlexusError('INVALID_STATE', `Cannot start: kernel is ${this.#router.state}`)
    }
    this.#router.state = 'starting'
    this.#wheel.open()
    this.#roller = setInterval(() => rollRates(this.#registry.values()), 1000)
    this.#roller.unref()
    try {
      this.#teardowns = await loadPlugins(
        this.#plugins,
        this,
        this.#config.startTimeout,
        this.#teardownFailed,
      )
      for (const service of this.#registry.values()) {
        for (const version of service.versions.values()) {
          // Attached during plug-in load (a peer's, a host's): placed by its link, not here.
          if (version.manifest === undefined)
            this.#lifecycle.assertPlacement(service.name, version.placement)
        }
      }
      const order = dependencyOrder(dependencyGraph(this.#registry.values()), {
        noun: 'service',
        missing: 'MISSING_DEPENDENCY',
        cycle: 'DEPENDENCY_CYCLE',
      })
      for (const name of order) {
        for (const version of this.#registry.get(name)?.versions.values() ?? []) {
          if (version.state === 'registered') await this.#lifecycle.start(version)
        }
        this.#startOrder.push(name)
      }
      this.#router.state = 'running'
    } catch (error) {
      this.#config.logger.error({ err: error }, 'Kernel failed to start; stopping what started')
      this.#router.state = 'stopping'
      await this.#shutdown()
      throw error
    }
  }

  /**
   * Runs the `beforeStop` hooks (while calls are still accepted), then stops accepting new
   * calls, drains in-flight work (up to the drain timeout), stops services in reverse start
   * order and tears plug-ins down in reverse load order. A failing stop is logged and does not
   * keep the others from stopping.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping
    if (this.#router.state === 'idle' || this.#router.state === 'stopped') {
      this.#router.state = 'stopped'
      return Promise.resolve()
    }
    if (this.#beforeStop.size === 0 || this.#router.state !== 'running') {
      this.#router.state = 'stopping'
      this.#stopping = this.#shutdown()
    } else {
      this.#stopping = runStopHooks(
        this.#beforeStop,
        this.#config.drainTimeout,
        this.#config.logger,
      ).then(() => {
        this.#router.state = 'stopping'
        return this.#shutdown()
      })
    }
    return this.#stopping
  }

  /**
   * Registers a hook `stop()` runs first, while the kernel still accepts calls: where a plug-in
   * withdraws this kernel from whoever routes to it (a cluster, a load balancer), so that only
   * work already sent here is drained. Hooks run together, bounded by the drain timeout; a
   * failing one is logged. Returns a function that removes the hook.
   */
  beforeStop(hook: () => void | Promise<void>): () => void {
    this.#beforeStop.add(hook)
    return () => void this.#beforeStop.delete(hook)
  }

  /**
   * Registers a readiness check: it returns why this kernel should not get traffic now (a
   * plug-in's connection is down), or undefined. Health probes read them through `unready()`.
   * Returns a function that removes the check.
   */
  readinessCheck(check: () => string | undefined): () => void {
    this.#readiness.add(check)
    return () => void this.#readiness.delete(check)
  }

  /** What the registered readiness checks say against sending traffic here now (empty: nothing). */
  unready(): string[] {
    const reasons: string[] = []
    for (const check of this.#readiness) {
      const reason = check()
      if (reason !== undefined) reasons.push(reason)
    }
    return reasons
  }

  /**
   * Hot replace: starts `definition`, routes every new message to it, lets the old version
   * finish its in-flight work (up to the drain timeout), then stops it.
   */
  async replace(name: string, definition: ServiceDefinition, options?: AddOptions): Promise<void> {
    assertDefinition(definition)
    if (definition.name !== name) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Cannot replace '${name}' with a definition named '${definition.name}'`,
      )
    }
    const service = this.#registry.get(name)
    if (service === undefined) {
      throw new PlexusError('NOT_FOUND', `Cannot replace '${name}': no such service is registered`)
    }
    const entry = this.#lifecycle.replacement(
      service,
      definition,
      options,
      this.#router.state !== 'idle',
    )
    if (this.#router.state === 'running' || this.#router.state === 'starting')
      await this.#lifecycle.start(entry)
    await this.#lifecycle.switchTo(service, entry)
  }

  /** Unregisters a service: drains and stops every version; later calls get NOT_FOUND. */
  async remove(name: string): Promise<void> {
    const service = this.#registry.remove(name)
    if (service === undefined) return
    this.#startOrder = this.#startOrder.filter((n) => n !== name)
    await this.#lifecycle.removeAll(service)
  }

  /** Request/response: routes to an instance and resolves with its answer. */
  call<A extends CallAddress<M>>(
    address: A,
    ...args: CallArgs<CallInput<M, A>>
  ): Promise<CallOutput<M, A>>
  call(address: string, input?: unknown, options?: CallOptions): Promise<unknown> {
    return this.#call(address, input, options, undefined)
  }

  /** Fire-and-forget: routes like `call`; the answer and any error are dropped (and counted). */
  send<A extends CallAddress<M>>(address: A, ...args: CallArgs<CallInput<M, A>>): void
  send(address: string, input?: unknown, options?: CallOptions): void {
    this.#send(address, input, options, undefined)
  }

  /** Publish/subscribe: delivers to one instance of each subscribing service (or all, broadcast). */
  emit(topic: string, payload?: unknown, options?: EmitOptions): void {
    this.#emit(topic, payload, options, undefined)
  }

  /** Request-stream: an async iterable pulled item by item (the producer never runs ahead). */
  stream<A extends StreamAddress<M>>(
    address: A,
    input?: StreamInput<M, A>,
    options?: CallOptions,
  ): AsyncIterableIterator<StreamItem<M, A>> {
    return this.#stream('stream', address, input, options, undefined) as AsyncIterableIterator<
      StreamItem<M, A>
    >
  }

  /** Channel: sends `input` items to the handler and returns the items it produces. */
  channel<I = unknown, O = unknown>(
    address: string,
    input: AsyncIterable<I>,
    options?: CallOptions,
  ): AsyncIterableIterator<O> {
    return this.#stream('channel', address, input, options, undefined) as AsyncIterableIterator<O>
  }

  /** The operations a link routes an attached host's own messages through (`ctx.call` on it). */
  get bus(): Bus {
    return this.#bus
  }

  /** This kernel's node id (qualifies its instance ids; names it in a cluster). */
  get node(): string {
    return this.#config.node
  }

  /**
   * Registers an instance of a service this kernel has no code for — a remote host's, a peer
   * node's — known by its manifest and reached through `link`. A new version appears at once
   * (unpinned calls follow the highest running version); an instance of a running version must
   * announce the same actions, events and streams (else MANIFEST_MISMATCH). Returns `detach`:
   * the instance is no longer routed to, what waits in its mailboxes ends UNAVAILABLE
   * (retryable, so idempotent calls are retried elsewhere), and a manifest-only version goes
   * with its last instance. The link ends its own in-flight work when it goes (its session
   * closing fails every exchange at once).
   */
  attach(manifest: ServiceManifest, link: InstanceLink): () => void {
    return attachInstance(this.#attachDeps, manifest, link)
  }

  /**
   * Delivers an event to one named service only, on this node's instances when it has any,
   * and settles when its handlers have (rejects with the handler's typed error): for links
   * that hand on events a peer addressed to a service, and acknowledgements.
   */
  dispatch(
    service: string,
    topic: string,
    payload?: unknown,
    options?: EmitOptions,
  ): Promise<void> {
    return this.#router.dispatch(service, topic, payload, options, this.#config.node)
  }

  /** A status snapshot: services, versions, instances and their figures. */
  services(): ServiceStatus[] {
    return snapshot(this.#registry.values())
  }

  // ---- the message path ----

  #send(
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: MessageContext | undefined,
  ): void {
    this.#call(address, input, options, caller).then(undefined, (error: unknown) => {
      this.#router.counters.sendErrors++
      this.#config.logger.debug({ address, err: error }, 'Fire-and-forget request failed')
    })
  }

  // ---- lifecycle ----

  readonly #teardownFailed = (name: string, error: unknown): void =>
    this.#config.logger.error({ plugin: name, err: error }, 'Plug-in teardown failed')

  async #shutdown(): Promise<void> {
    const all: VersionEntry[] = []
    for (const service of this.#registry.values()) all.push(...service.versions.values())
    await this.#lifecycle.drain(all)
    const gone = new PlexusError('UNAVAILABLE', 'Kernel stopped before the call finished')
    this.#wheel.failAll(gone)
    for (const stream of [...this.#router.streams]) stream.close(gone)
    const order = [...this.#startOrder].reverse()
    for (const name of this.#registry.names()) if (!order.includes(name)) order.push(name)
    for (const name of order) {
      for (const version of this.#registry.get(name)?.versions.values() ?? [])
        await this.#lifecycle.stop(version)
    }
    await tearDown(this.#teardowns, this.#teardownFailed)
    this.#startOrder = []
    if (this.#roller !== undefined) clearInterval(this.#roller)
    this.#wheel.close()
    this.#router.state = 'stopped'
  }
}
