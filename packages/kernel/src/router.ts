import type { Bus } from './call-context.js'
import { CallContext } from './call-context.js'
import type { CallOptions, EmitOptions, MessageContext } from './context.js'
import type { DeadlineWheel } from './deadline-wheel.js'
import { PlexusError } from './errors.js'
import { dispatchEvent } from './event-dispatch.js'
import { matchRoutes, type EventRoute } from './event-routes.js'
import type { Instance } from './instance.js'
import type { CallFn, EmitFn, StreamFn } from './interceptor.js'
import type {
  ActionDescription,
  EventErrorReport,
  KernelConfig,
  KernelCounters,
  KernelState,
} from './kernel-types.js'
import { Registry, type ServiceEntry, type VersionEntry } from './registry.js'
import { parseAddress, type Route } from './routing.js'
import { StreamCall } from './stream-call.js'
import { assertTopic } from './topic.js'

const TOPIC_CACHE_LIMIT = 10_000
const ROUTE_CACHE_LIMIT = 10_000

/**
 * The message path: resolves addresses (cached), picks instances, waits for starting services
 * within the deadline, refuses what cannot be routed with a typed error, retries idempotent
 * actions, fans events out, and opens streams. The kernel composes interceptors around `call`,
 * `emit` and `stream` and owns the lifecycle.
 */
export class Router {
  /** Kernel state, kept current by the kernel. */
  state: KernelState = 'idle'
  /** Services, versions and instances; its changes clear this router's caches. */
  readonly registry = new Registry(this)
  /** Streams open now. */
  readonly streams = new Set<StreamCall>()
  readonly counters: KernelCounters = { eventErrors: 0, eventsUnrouted: 0, sendErrors: 0 }
  readonly #routes = new Map<string, Route>()
  readonly #topics = new Map<string, EventRoute[]>()
  readonly #config: KernelConfig
  readonly #wheel: DeadlineWheel
  readonly #bus: Bus

  constructor(config: KernelConfig, wheel: DeadlineWheel, bus: Bus) {
    this.#config = config
    this.#wheel = wheel
    this.#bus = bus
  }

  /**
   * The subscriptions of `service` changed: each cached topic's routes are updated for that
   * service only (a new array, so an emit going through the old one is unaffected). Starting N
   * services is then O(N), not O(N²): each start used to clear the cache, and its own
   * `plexus.service.started` then matched every service's patterns again.
   */
  topicsChanged(service: ServiceEntry): void {
    for (const [topic, routes] of this.#topics) {
      const fresh = matchRoutes([service], topic)
      let at = routes.findIndex((r) => r.service === service)
      if (at === -1 && fresh.length === 0) continue
      const kept = routes.filter((r) => r.service !== service)
      if (at === -1) at = kept.length
      kept.splice(at, 0, ...fresh)
      this.#topics.set(topic, kept)
    }
  }

  /** Forgets cached addresses (a service came or went). */
  routesChanged(): void {
    this.#routes.clear()
    this.#topics.clear()
  }

  readonly call: CallFn = (address, input, options, caller) => {
    const route = this.#routes.get(address) ?? this.#resolve(address)
    if (route instanceof PlexusError) return Promise.reject(route)
    const service = route.service
    const version = service.lookup(route.version)
    let ctx: CallContext
    try {
      ctx = new CallContext(this.#bus, service.name, route.action, caller, options)
    } catch (error) {
      return Promise.reject(error)
    }
    if (version !== undefined && version.state === 'running' && this.state === 'running') {
      const instance = version.pick(input, ctx)
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
    if (entry.state === 'running') return entry.pick(input, ctx).invoke(route.action, ctx, input)
    // Registered or starting: wait for it, bounded by the caller's deadline.
    const ready = entry.ready.then(() => {
      const again = this.#refusal(route, entry, ctx)
      if (again !== undefined) throw again
      return entry.pick(input, ctx).invoke(route.action, ctx, input)
    })
    return this.#wheel.track(ctx, ready, true)
  }

  /** Why a message cannot be routed to `version` now, or undefined when it can (or may soon). */
  #refusal(
    route: Route,
    version: VersionEntry | undefined,
    ctx: CallContext,
  ): PlexusError | undefined {
    const where = `'${route.service.name}${route.version ? '@' + route.version : ''}.${route.action}'`
    if (this.state === 'stopped')
      return new PlexusError('UNAVAILABLE', `Kernel is stopped; cannot route ${where}`)
    // While stopping, work already in flight may still call onwards; new work is refused.
    if (this.state === 'stopping' && ctx.caller === undefined) {
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

  /** What an address reaches now: service, version, action and its declared flags. */
  describe(address: string): ActionDescription | undefined {
    const route = this.#routes.get(address) ?? this.#resolve(address)
    if (route instanceof PlexusError) return undefined
    const version = route.service.lookup(route.version)
    const spec = version?.definition.actions?.[route.action]
    if (version === undefined || spec === undefined) return undefined
    return {
      service: route.service.name,
      version: version.version,
      action: route.action,
      idempotent: typeof spec === 'object' && spec.idempotent === true,
      placement: version.placement,
      instances: version.instances.length,
    }
  }

  #resolve(address: string): Route | PlexusError {
    const parsed = parseAddress(address)
    if (parsed instanceof PlexusError) return parsed
    const service = this.registry.get(parsed.service)
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

  readonly emit: EmitFn = (topic, payload, options, caller) => {
    let routes = this.#topics.get(topic)
    if (routes === undefined) {
      assertTopic(topic)
      routes = this.#match(topic)
    }
    if (routes.length === 0) {
      this.counters.eventsUnrouted++
      return
    }
    if (this.state === 'stopped') {
      throw new PlexusError('UNAVAILABLE', `Kernel is stopped; cannot emit '${topic}'`)
    }
    const parent = caller
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

  /**
   * Publishes a kernel lifecycle event (`plexus.service.*`) to whoever subscribes; never throws
   * and, unlike `emit`, does not count as unrouted when nobody listens.
   */
  announce(topic: string, payload: unknown): void {
    if (this.state === 'stopped') return
    const routes = this.#topics.get(topic) ?? this.#match(topic)
    if (routes.length === 0) return
    try {
      this.emit(topic, payload, undefined, undefined)
    } catch (error) {
      this.#config.logger.warn({ topic, err: error }, 'Lifecycle event could not be delivered')
    }
  }

  #deliver(
    route: EventRoute,
    version: VersionEntry,
    topic: string,
    payload: unknown,
    options: EmitOptions | undefined,
    parent: MessageContext | undefined,
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
    version.pick(payload, ctx).deliver(route.pattern, ctx, payload)
  }

  /**
   * Delivers `topic` to one named service only, on this node's own instances when it has any
   * (see `dispatchEvent`): what a link does with an event a peer addressed to that service.
   */
  dispatch(
    name: string,
    topic: string,
    payload: unknown,
    options: EmitOptions | undefined,
    node: string,
  ): Promise<void> {
    return dispatchEvent(this.registry, this.state, this.#bus, name, topic, payload, options, node)
  }

  #match(topic: string): EventRoute[] {
    const routes = matchRoutes(this.registry.values(), topic)
    if (this.#topics.size >= TOPIC_CACHE_LIMIT) this.#topics.clear()
    this.#topics.set(topic, routes)
    return routes
  }

  readonly onEventFailure = (ctx: CallContext, error: PlexusError): void => {
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

  readonly stream: StreamFn = (kind, address, input, options, caller) => {
    const parent = caller
    const bounded =
      options?.deadline !== undefined || options?.signal !== undefined || parent !== undefined
    const call: StreamCall = new StreamCall({
      open: () => this.#openStream(kind, address, input, options, parent, bounded),
      track: (ctx, work) => this.#wheel.track(ctx, work),
      bounded,
      closed: (s) => this.streams.delete(s),
    })
    this.streams.add(call)
    return call
  }

  async #openStream(
    kind: 'stream' | 'channel',
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    parent: MessageContext | undefined,
    bounded: boolean,
  ): Promise<{ iterator: AsyncIterator<unknown>; ctx: CallContext; instance: Instance }> {
    const route = this.#routes.get(address) ?? this.#resolve(address)
    if (route instanceof PlexusError) throw route
    const service = route.service
    const ctx = new CallContext(this.#bus, service.name, route.action, parent, options)
    if (!bounded) ctx.unbound()
    let version = service.lookup(route.version)
    const refusal = this.#refusal(route, version, ctx)
    if (refusal !== undefined) throw refusal
    if (version!.state !== 'running') {
      const waiting = version!.ready
      await (bounded ? this.#wheel.track(ctx, waiting) : waiting)
      version = service.lookup(route.version)
      const again = this.#refusal(route, version, ctx)
      if (again !== undefined) throw again
    }
    const instance = version!.pick(input, ctx)
    const iterator = await instance.open(kind, route.action, ctx, input)
    return { iterator, ctx, instance }
  }
}
