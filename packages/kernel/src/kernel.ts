import { balancerFactory } from './balancer.js'
import { CallContext, type Bus } from './call-context.js'
import type { CallOptions, Context, EmitOptions } from './context.js'
import { DeadlineWheel } from './deadline-wheel.js'
import { PlexusError } from './errors.js'
import { dependencyOrder } from './graph.js'
import { InlineInstance, type Compile } from './inline-instance.js'
import type { Instance } from './instance.js'
import {
  assertInterceptor,
  type CallFn,
  type EmitFn,
  type HandleFn,
  type HandlerInfo,
  type Interceptor,
  type StreamFn,
} from './interceptor.js'
import { assertPlugin, type Plugin, type Teardown } from './plugin.js'
import { ServiceEntry, VersionEntry } from './registry.js'
import { withTimeout } from './timing.js'
import { matchRoutes, type EventRoute } from './event-routes.js'
import { snapshot } from './status.js'
import { VersionLifecycle } from './version-lifecycle.js'
import type {
  AddOptions,
  EventErrorReport,
  KernelConfig,
  KernelCounters,
  KernelState,
  Placement,
  ServiceStatus,
} from './kernel-types.js'
import { assertDefinition, parseAddress, type Route } from './routing.js'
import type { ServiceDefinition } from './service.js'
import { StreamCall } from './stream-call.js'
import { assertTopic } from './topic.js'
import type {
  CallAddress,
  CallInput,
  CallOutput,
  ServiceMap,
  StreamAddress,
  StreamInput,
  StreamItem,
  WithService,
} from './typed-address.js'

type CallArgs<I> = unknown extends I
  ? [input?: I, options?: CallOptions]
  : undefined extends I
    ? [input?: I, options?: CallOptions]
    : [input: I, options?: CallOptions]

const TOPIC_CACHE_LIMIT = 10_000
const ROUTE_CACHE_LIMIT = 10_000

/**
 * The microkernel: registry, router, lifecycle and interceptor pipeline. `M` records the
 * services added so far, so `call` checks addresses and inputs and infers answers.
 */
export class Kernel<M extends ServiceMap = {}> {
  /** Kernel-wide counters. */
  readonly counters: KernelCounters = { eventErrors: 0, eventsUnrouted: 0, sendErrors: 0 }
  readonly #config: KernelConfig
  readonly #wheel: DeadlineWheel
  readonly #services = new Map<string, ServiceEntry>()
  readonly #routes = new Map<string, Route>()
  readonly #topics = new Map<string, EventRoute[]>()
  readonly #placements = new Map<string, Placement>()
  readonly #interceptors: Interceptor[] = []
  readonly #plugins: Plugin<Kernel<any>>[] = []
  readonly #teardowns: { name: string; teardown: Teardown }[] = []
  readonly #streams = new Set<StreamCall>()
  readonly #bus: Bus
  #startOrder: string[] = []
  #state: KernelState = 'idle'
  #stopping: Promise<void> | undefined
  #roller: NodeJS.Timeout | undefined
  readonly #lifecycle: VersionLifecycle
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
    this.#placements.set(
      'inline',
      (r) => new InlineInstance(r.id, r.definition, r.clock, r.compile, r.onEventFailure),
    )
    this.#bus = {
      now: () => wheel.now(),
      defaultDeadline: config.deadline,
      logger: config.logger,
      call: (a, i, o, c) => this.#call(a, i, o, c),
      send: (a, i, o, c) => this.#send(a, i, o, c),
      emit: (t, p, o, c) => this.#emit(t, p, o, c),
      stream: (k, a, i, o, c) => this.#stream(k, a, i, o, c),
    }
    this.#call = this.#callCore
    this.#emit = this.#emitCore
    this.#stream = this.#streamCore
    this.#lifecycle = new VersionLifecycle({
      config,
      placements: this.#placements,
      bus: this.#bus,
      compile: this.#compile,
      onEventFailure: this.#onEventFailure,
    })
    for (const interceptor of interceptors) this.intercept(interceptor)
  }

  /** The kernel's state. */
  get state(): KernelState {
    return this.#state
  }

  /** The kernel's settings. */
  get config(): KernelConfig {
    return this.#config
  }

  /** Calls tracked by the deadline wheel now (a leak probe: 0 when idle). */
  get pendingCalls(): number {
    return this.#wheel.pending
  }

  /** Streams open now (a leak probe: 0 when idle). */
  get openStreams(): number {
    return this.#streams.size
  }

  /** Registers a service; it starts with the kernel, or at once if the kernel is running. */
  add<const D extends ServiceDefinition>(
    definition: D,
    options: AddOptions = {},
  ): Kernel<WithService<M, D>> {
    assertDefinition(definition)
    const version = definition.version ?? 1
    let service = this.#services.get(definition.name)
    if (service?.versions.has(version)) {
      throw new PlexusError(
        'DUPLICATE_SERVICE',
        `Service '${definition.name}@${version}' is already registered`,
        { data: { service: definition.name, version } },
      )
    }
    const entry = this.#entry(service ?? new ServiceEntry(definition.name), definition, options)
    service = entry.service
    this.#services.set(service.name, service)
    service.versions.set(version, entry)
    service.refresh()
    this.#topics.clear()
    if (this.#state === 'running') {
      this.#startVersion(entry).then(
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
    if (this.#state !== 'idle') {
      throw new PlexusError(
        'INVALID_STATE',
        `Cannot add plug-in '${plugin.name}': kernel is ${this.#state}`,
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
    assertInterceptor(interceptor)
    this.#interceptors.push(interceptor)
    this.#call = this.#compose('call', this.#callCore)
    this.#emit = this.#compose('emit', this.#emitCore)
    this.#stream = this.#compose('stream', this.#streamCore)
    if (interceptor.handle) {
      for (const service of this.#services.values()) {
        for (const version of service.versions.values()) {
          for (const instance of version.instances) {
            if (instance instanceof InlineInstance) instance.compile(this.#compile)
          }
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
    if (this.#state !== 'idle') {
      throw new PlexusError('INVALID_STATE', `Cannot start: kernel is ${this.#state}`)
    }
    this.#state = 'starting'
    this.#wheel.open()
    this.#roller = setInterval(() => this.#roll(), 1000)
    this.#roller.unref()
    try {
      await this.#loadPlugins()
      const graph = new Map<string, readonly string[]>()
      for (const service of this.#services.values()) {
        const deps = new Set<string>()
        for (const v of service.versions.values())
          for (const d of v.definition.dependencies ?? []) deps.add(d)
        graph.set(service.name, [...deps])
      }
      const order = dependencyOrder(graph, {
        noun: 'service',
        missing: 'MISSING_DEPENDENCY',
        cycle: 'DEPENDENCY_CYCLE',
      })
      for (const name of order) {
        for (const version of this.#services.get(name)?.versions.values() ?? []) {
          if (version.state === 'registered') await this.#startVersion(version)
        }
        this.#startOrder.push(name)
      }
      this.#state = 'running'
    } catch (error) {
      this.#config.logger.error({ err: error }, 'Kernel failed to start; stopping what started')
      this.#state = 'stopping'
      await this.#shutdown()
      throw error
    }
  }

  /**
   * Stops accepting new calls, drains in-flight work (up to the drain timeout), then stops
   * services in reverse start order and tears plug-ins down in reverse load order. A failing
   * stop is logged and does not keep the others from stopping.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped'
      return Promise.resolve()
    }
    this.#state = 'stopping'
    this.#stopping = this.#shutdown()
    return this.#stopping
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
    const service = this.#services.get(name)
    if (service === undefined) {
      throw new PlexusError('NOT_FOUND', `Cannot replace '${name}': no such service is registered`)
    }
    const old = [...service.versions.values()]
    const template = service.current ?? old[0]
    const entry = this.#entry(service, definition, {
      instances: options?.instances ?? template?.count ?? 1,
      placement: options?.placement ?? template?.placement ?? 'inline',
      ...((options?.module ?? template?.module)
        ? { module: (options?.module ?? template?.module)! }
        : {}),
      settings: options?.settings ?? template?.settings ?? {},
      ...(options?.balancer === undefined ? {} : { balancer: options.balancer }),
    })
    if (this.#state === 'running' || this.#state === 'starting') await this.#startVersion(entry)
    // The switch is synchronous: no message can be routed between the two versions' sets.
    service.versions.clear()
    service.versions.set(entry.version, entry)
    for (const version of old) if (version.state !== 'failed') version.state = 'draining'
    service.refresh()
    this.#topics.clear()
    await this.#retire(old)
  }

  /** Unregisters a service: drains and stops every version; later calls get NOT_FOUND. */
  async remove(name: string): Promise<void> {
    const service = this.#services.get(name)
    if (service === undefined) return
    this.#services.delete(name)
    this.#routes.clear()
    this.#topics.clear()
    const old = [...service.versions.values()]
    for (const version of old) if (version.state !== 'failed') version.state = 'draining'
    service.refresh()
    this.#startOrder = this.#startOrder.filter((n) => n !== name)
    await this.#retire(old)
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

  /** A status snapshot: services, versions, instances and their figures. */
  services(): ServiceStatus[] {
    return snapshot(this.#services.values())
  }

  // ---- the message path ----

  readonly #callCore: CallFn = (address, input, options, caller) => {
    const route = this.#routes.get(address) ?? this.#resolve(address)
    if (route instanceof PlexusError) return Promise.reject(route)
    const service = route.service
    const version = route.version === 0 ? service.current : service.versions.get(route.version)
    let ctx: CallContext
    try {
      ctx = new CallContext(
        this.#bus,
        service.name,
        route.action,
        caller as CallContext | undefined,
        options,
      )
    } catch (error) {
      return Promise.reject(error)
    }
    if (version !== undefined && version.state === 'running' && this.#state === 'running') {
      const instance = version.pick(input, ctx.meta)
      const answer = instance.invoke(route.action, ctx, input)
      return version.idempotent?.has(route.action) === true
        ? answer.then(undefined, (error: unknown) =>
            this.#retry(version, instance, route, ctx, input, error),
          )
        : answer
    }
    return this.#callSlow(route, version, ctx, input)
  }

  /**
   * An idempotent action whose instance went away (UNAVAILABLE) is tried on each other running
   * instance in turn, within the same deadline; any other error goes back to the caller.
   */
  async #retry(
    version: VersionEntry,
    failed: Instance,
    route: Route,
    ctx: CallContext,
    input: unknown,
    error: unknown,
  ): Promise<unknown> {
    const tried = new Set<Instance>([failed])
    let last = error
    while (last instanceof PlexusError && last.code === 'UNAVAILABLE' && ctx.reason === undefined) {
      const next = version.instances.find((i) => !tried.has(i) && i.state === 'running')
      if (next === undefined) break
      tried.add(next)
      try {
        return await next.invoke(route.action, ctx, input)
      } catch (again) {
        last = again
      }
    }
    throw last
  }

  #callSlow(
    route: Route,
    version: VersionEntry | undefined,
    ctx: CallContext,
    input: unknown,
  ): Promise<unknown> {
    const refusal = this.#refusal(route, version, ctx)
    if (refusal !== undefined) return Promise.reject(refusal)
    const entry = version!
    if (entry.state === 'running')
      return entry.pick(input, ctx.meta).invoke(route.action, ctx, input)
    // Registered or starting: wait for it, bounded by the caller's deadline.
    const ready = entry.ready.then(() => {
      const again = this.#refusal(route, entry, ctx)
      if (again !== undefined) throw again
      return entry.pick(input, ctx.meta).invoke(route.action, ctx, input)
    })
    return this.#wheel.track(ctx, ready)
  }

  /** Why a message cannot be routed to `version` now, or undefined when it can (or may soon). */
  #refusal(
    route: Route,
    version: VersionEntry | undefined,
    ctx: CallContext,
  ): PlexusError | undefined {
    const where = `'${route.service.name}${route.version ? '@' + route.version : ''}.${route.action}'`
    if (this.#state === 'stopped')
      return new PlexusError('UNAVAILABLE', `Kernel is stopped; cannot route ${where}`)
    // While stopping, work already in flight may still call onwards; new work is refused.
    if (this.#state === 'stopping' && ctx.caller === undefined) {
      return new PlexusError('UNAVAILABLE', `Kernel is stopping; not accepting ${where}`)
    }
    if (version === undefined) {
      return route.version !== 0
        ? new PlexusError(
            'NOT_FOUND',
            `Service '${route.service.name}' has no version ${route.version}`,
            {
              data: { service: route.service.name, version: route.version },
            },
          )
        : new PlexusError('UNAVAILABLE', `Service '${route.service.name}' has no running version`)
    }
    if (version.state === 'failed') {
      return new PlexusError(
        'UNAVAILABLE',
        `Service '${route.service.name}@${version.version}' failed`,
        {
          data: { service: route.service.name, state: version.state },
        },
      )
    }
    if (version.state === 'stopped' || (version.state === 'draining' && route.version === 0)) {
      return new PlexusError(
        'UNAVAILABLE',
        `Service '${route.service.name}@${version.version}' is ${version.state}`,
      )
    }
    return undefined
  }

  #resolve(address: string): Route | PlexusError {
    const parsed = parseAddress(address)
    if (parsed instanceof PlexusError) return parsed
    const service = this.#services.get(parsed.service)
    if (service === undefined) {
      return new PlexusError(
        'NOT_FOUND',
        `No service '${parsed.service}' is registered (address '${address}')`,
        {
          data: { address },
        },
      )
    }
    const route: Route = { service, version: parsed.version, action: parsed.action }
    if (this.#routes.size >= ROUTE_CACHE_LIMIT) this.#routes.clear()
    this.#routes.set(address, route)
    return route
  }

  #send(
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: Context | undefined,
  ): void {
    this.#call(address, input, options, caller).then(undefined, (error: unknown) => {
      this.counters.sendErrors++
      this.#config.logger.debug({ address, err: error }, 'Fire-and-forget request failed')
    })
  }

  readonly #emitCore: EmitFn = (topic, payload, options, caller) => {
    let routes = this.#topics.get(topic)
    if (routes === undefined) {
      assertTopic(topic)
      routes = this.#match(topic)
    }
    if (routes.length === 0) {
      this.counters.eventsUnrouted++
      return
    }
    if (this.#state === 'stopped') {
      throw new PlexusError('UNAVAILABLE', `Kernel is stopped; cannot emit '${topic}'`)
    }
    const parent = caller as CallContext | undefined
    for (const route of routes) {
      const version = route.service.current
      if (version === undefined) continue
      if (version.state === 'running')
        this.#deliver(route, version, topic, payload, options, parent)
      else if (version.state === 'registered' || version.state === 'starting') {
        version.ready.then(
          () => this.#deliver(route, version, topic, payload, options, parent),
          () => {},
        )
      }
    }
  }

  #deliver(
    route: EventRoute,
    version: VersionEntry,
    topic: string,
    payload: unknown,
    options: EmitOptions | undefined,
    parent: CallContext | undefined,
  ): void {
    const name = route.service.name
    if (route.broadcast) {
      for (const instance of version.instances) {
        instance.deliver(
          route.pattern,
          new CallContext(this.#bus, name, route.pattern, parent, options, topic),
          payload,
        )
      }
      return
    }
    const ctx = new CallContext(this.#bus, name, route.pattern, parent, options, topic)
    version.pick(payload, ctx.meta).deliver(route.pattern, ctx, payload)
  }

  #match(topic: string): EventRoute[] {
    const routes = matchRoutes(this.#services.values(), topic)
    if (this.#topics.size >= TOPIC_CACHE_LIMIT) this.#topics.clear()
    this.#topics.set(topic, routes)
    return routes
  }

  readonly #onEventFailure = (ctx: CallContext, error: PlexusError): void => {
    this.counters.eventErrors++
    const report: EventErrorReport = {
      service: ctx.service,
      pattern: ctx.action,
      topic: ctx.topic ?? ctx.action,
      error,
    }
    this.#config.logger.error(
      {
        service: report.service,
        topic: report.topic,
        pattern: report.pattern,
        code: error.code,
        err: error,
      },
      `Event handler failed: ${error.message}`,
    )
    try {
      this.#config.onEventError?.(report)
    } catch (hookError) {
      this.#config.logger.error({ err: hookError }, 'onEventError hook threw')
    }
  }

  readonly #streamCore: StreamFn = (kind, address, input, options, caller) => {
    const parent = caller as CallContext | undefined
    const bounded =
      options?.deadline !== undefined || options?.signal !== undefined || parent !== undefined
    const call: StreamCall = new StreamCall({
      open: () => this.#openStream(kind, address, input, options, parent, bounded),
      track: (ctx, work) => this.#wheel.track(ctx, work),
      bounded,
      closed: (s) => this.#streams.delete(s),
    })
    this.#streams.add(call)
    return call
  }

  async #openStream(
    kind: 'stream' | 'channel',
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    parent: CallContext | undefined,
    bounded: boolean,
  ): Promise<{ iterator: AsyncIterator<unknown>; ctx: CallContext; instance: Instance }> {
    const route = this.#routes.get(address) ?? this.#resolve(address)
    if (route instanceof PlexusError) throw route
    const service = route.service
    const ctx = new CallContext(this.#bus, service.name, route.action, parent, options)
    if (!bounded) ctx.unbound()
    let version = route.version === 0 ? service.current : service.versions.get(route.version)
    const refusal = this.#refusal(route, version, ctx)
    if (refusal !== undefined) throw refusal
    if (version!.state !== 'running') {
      const waiting = version!.ready
      await (bounded ? this.#wheel.track(ctx, waiting) : waiting)
      version = route.version === 0 ? service.current : service.versions.get(route.version)
      const again = this.#refusal(route, version, ctx)
      if (again !== undefined) throw again
    }
    const instance = version!.pick(input, ctx.meta)
    const iterator = await instance.open(kind, route.action, ctx, input)
    return { iterator, ctx, instance }
  }

  // ---- lifecycle ----

  #entry(service: ServiceEntry, definition: ServiceDefinition, options: AddOptions): VersionEntry {
    const instances = options.instances ?? 1
    if (!Number.isInteger(instances) || instances < 1) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Service '${definition.name}': instances must be a positive integer, got ${String(instances)}`,
      )
    }
    const placement = options.placement ?? 'inline'
    if (!this.#placements.has(placement)) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Service '${definition.name}': unknown placement '${placement}' (known: ${[...this.#placements.keys()].join(', ')})`,
      )
    }
    const balancer = balancerFactory(options.balancer)()
    return new VersionEntry(
      service,
      definition.version ?? 1,
      definition,
      balancer,
      placement,
      instances,
      options.module,
      options.settings ?? {},
    )
  }

  async #startVersion(entry: VersionEntry): Promise<void> {
    await this.#lifecycle.start(entry)
    this.#topics.clear()
  }

  async #retire(versions: VersionEntry[]): Promise<void> {
    await this.#lifecycle.drain(versions)
    for (const version of versions) await this.#lifecycle.stop(version)
  }

  async #shutdown(): Promise<void> {
    const all: VersionEntry[] = []
    for (const service of this.#services.values()) all.push(...service.versions.values())
    await this.#lifecycle.drain(all)
    const gone = new PlexusError('UNAVAILABLE', 'Kernel stopped before the call finished')
    this.#wheel.failAll(gone)
    for (const stream of [...this.#streams]) stream.close(gone)
    const order = [...this.#startOrder].reverse()
    for (const name of this.#services.keys()) if (!order.includes(name)) order.push(name)
    for (const name of order) {
      for (const version of this.#services.get(name)?.versions.values() ?? [])
        await this.#lifecycle.stop(version)
    }
    for (const { name, teardown } of this.#teardowns.splice(0).reverse()) {
      try {
        await teardown()
      } catch (error) {
        this.#config.logger.error({ plugin: name, err: error }, 'Plug-in teardown failed')
      }
    }
    this.#startOrder = []
    if (this.#roller !== undefined) clearInterval(this.#roller)
    this.#wheel.close()
    this.#state = 'stopped'
  }

  async #loadPlugins(): Promise<void> {
    const byName = new Map<string, readonly string[]>()
    for (const plugin of this.#plugins) byName.set(plugin.name, plugin.dependsOn ?? [])
    const order = dependencyOrder(byName, {
      noun: 'plug-in',
      missing: 'MISSING_PLUGIN',
      cycle: 'PLUGIN_CYCLE',
    })
    for (const name of order) {
      const plugin = this.#plugins.find((p) => p.name === name)!
      const budget = plugin.timeout ?? this.#config.startTimeout
      const result = await withTimeout(
        Promise.resolve(plugin.setup(this)),
        budget,
        () =>
          new PlexusError(
            'PLUGIN_TIMEOUT',
            `Plug-in '${name}' setup did not finish within ${budget} ms`,
          ),
      )
      if (typeof result === 'function') this.#teardowns.push({ name, teardown: result })
    }
  }

  #roll(): void {
    for (const service of this.#services.values()) {
      for (const version of service.versions.values())
        for (const i of version.instances) i.stats.roll()
    }
  }

  readonly #compile: Compile = (handler: HandleFn, info: HandlerInfo): HandleFn => {
    let step = handler
    for (let i = this.#interceptors.length - 1; i >= 0; i--) {
      const interceptor = this.#interceptors[i]!
      if (interceptor.handle !== undefined) step = interceptor.handle(step, info)
    }
    return step
  }

  #compose<F>(hook: 'call' | 'emit' | 'stream', core: F): F {
    let step = core
    for (let i = this.#interceptors.length - 1; i >= 0; i--) {
      const interceptor = this.#interceptors[i]!
      // eslint-disable-next-line @typescript-eslint/unbound-method -- invoked with .call(interceptor)
      const wrap = interceptor[hook] as ((next: F) => F) | undefined
      if (wrap !== undefined) step = wrap.call(interceptor, step)
    }
    return step
  }
}
