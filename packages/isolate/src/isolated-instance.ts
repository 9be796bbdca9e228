import {
  PlexusError,
  toPlexusError,
  type InstanceLink,
  type InstanceState,
  type MessageContext,
  type PlacementRequest,
} from '@plexus/kernel'
import {
  HostTraffic,
  Liveness,
  RESERVED_ACTIONS,
  Session,
  createHello,
  outboundOf,
} from '@plexus/wire'
import { exitError, type GuestHandle, type Spawn } from './guest-handle.js'

import type { ResolvedSettings } from './isolation-settings.js'

import { RestartBudget } from './restart-budget.js'
import type { GroupMember, SupervisionGroup } from './supervision-group.js'

/** Topic of the event emitted when an instance exceeds its restart intensity. */
export const FAILED_TOPIC = 'plexus.instance.failed'
/** Topic of the event emitted when a supervised instance has been restarted. */
export const RESTARTED_TOPIC = 'plexus.instance.restarted'

/**
 * The link to one instance of a service running in a worker or a child process. It supervises
 * its own guest (one-for-one), or leaves the restart to its supervision group: when the guest dies every message in flight on it ends at once
 * with UNAVAILABLE (retryable), the guest is started again after a backoff, and past the
 * restart intensity the instance is FAILED. The kernel keeps the mailboxes, interceptors and
 * figures on its side of the link, so queued messages survive a restart in order; the guest's
 * own traffic is HostTraffic. What stays here is one concept, the supervised guest (launch,
 * liveness, exit, restart, give up) and the path to it.
 */
export class IsolatedInstance implements InstanceLink {
  readonly id: string
  readonly placement: string
  readonly node: string
  state: InstanceState = 'idle'
  /** Restarts of this slot so far. */
  restarts = 0
  /** Envelopes refused on its links, across restarts. */
  refused = 0
  readonly #request: PlacementRequest
  readonly #spawn: Spawn
  readonly #settings: ResolvedSettings
  readonly #module: string
  readonly #service: string
  readonly #budget: RestartBudget
  readonly #traffic: HostTraffic
  #guest: GuestHandle | undefined
  #session: Session | undefined
  #liveness: Liveness | undefined
  #generation = 0
  #killReason: string | undefined
  #waiters: { resolve: () => void; reject: (error: PlexusError) => void }[] = []
  #restartTimer: NodeJS.Timeout | undefined
  #stopped = false
  #failure: PlexusError | undefined
  readonly #group: SupervisionGroup | undefined
  readonly #member: GroupMember
  #exitReason: string | undefined

  constructor(
    request: PlacementRequest,
    placement: string,
    spawn: Spawn,
    settings: ResolvedSettings,
    module: string,
    group?: SupervisionGroup,
  ) {
    this.id = request.id
    this.node = request.node
    this.placement = placement
    this.#request = request
    this.#spawn = spawn
    this.#settings = settings
    this.#module = module
    this.#service = request.definition.name
    this.#group = group
    this.#budget = group?.budget ?? new RestartBudget(settings.restart)
    this.#member = {
      id: this.id,
      terminate: (reason) => this.#terminate(reason),
      relaunch: () => {
        this.restarts++
        return this.#relaunch()
      },
      giveUp: (failure) => this.#fail(failure, failure),
      announce: (topic, detail) => this.#announce(topic, detail),
    }
    this.#traffic = new HostTraffic(request.bus, request.logger, this.#service, (id) =>
      this.#session?.ownerOf(id),
    )
  }

  /** Process id of the current child guest (undefined for workers or while restarting). */
  get pid(): number | undefined {
    return this.#guest?.pid
  }

  // ---- InstanceLink: the path to the guest, once a message passed the kernel's side ----

  invoke(action: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    return this.#remote(`${this.#service}.${action}`, ctx, input)
  }

  deliver(pattern: string, ctx: MessageContext, payload: unknown): Promise<unknown> {
    return this.#remote(`${this.#service}.${RESERVED_ACTIONS.event}`, ctx, {
      pattern,
      topic: ctx.topic,
      payload,
    })
  }

  open(
    kind: 'stream' | 'channel',
    name: string,
    ctx: MessageContext,
    input: unknown,
  ): Promise<AsyncIterator<unknown>> {
    return this.#openRemote(kind, `${this.#service}.${name}`, ctx, input)
  }

  async start(ctx: MessageContext): Promise<void> {
    this.#stopped = false
    this.state = 'starting'
    this.#group?.join(this.#member)
    for (;;) {
      try {
        await this.#launch(ctx)
        return
      } catch (error) {
        const typed = toPlexusError(error)
        const wait = this.#stopped ? undefined : this.#budget.take(this.#request.bus.now())
        if (wait === undefined) {
          if (this.#group !== undefined) this.#group.escalate(typed)
          else this.#giveUp(typed)
          throw typed
        }
        this.restarts++
        this.#request.logger.warn(
          { instance: this.id, err: typed, restarts: this.restarts, wait },
          `Instance '${this.id}' failed to start; restarting in ${wait} ms`,
        )
        await new Promise((resolve) => setTimeout(resolve, wait))
        if (this.#stopped) throw typed
      }
    }
  }

  async stop(ctx: MessageContext): Promise<void> {
    this.#stopped = true
    this.state = 'stopped'
    this.#group?.leave(this.#member)
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#liveness?.stop()
    const session = this.#session
    const guest = this.#guest
    if (session !== undefined && session.closed === undefined) {
      try {
        await session.call(`${this.#service}.${RESERVED_ACTIONS.stopped}`, undefined, {
          deadline: ctx.remaining(),
        })
      } catch (error) {
        this.#request.logger.warn({ instance: this.id, err: error }, 'Guest stopped hook failed')
      }
    }
    this.#rejectWaiters(this.#unavailable('is stopped'))
    if (guest !== undefined) await this.#end(guest)
  }

  // ---- launch and supervision ----

  /** Starts one guest and runs its `started` hook; rejects if it dies or fails on the way. */
  async #launch(ctx: MessageContext | undefined): Promise<void> {
    const generation = ++this.#generation
    const spec = {
      module: this.#module,
      id: this.id,
      maxOldGenerationSizeMb: this.#settings.maxOldGenerationSizeMb,
      maxYoungGenerationSizeMb: this.#settings.maxYoungGenerationSizeMb,
      stackSizeMb: this.#settings.stackSizeMb,
    }
    let hello!: { resolve: () => void; reject: (error: PlexusError) => void }
    const helloSeen = new Promise<void>((resolve, reject) => (hello = { resolve, reject }))
    const guest = this.#spawn(spec, {
      data: (chunk) => session.receive(chunk),
      exit: (exit) => {
        const error = exitError(exit, this.id, this.placement, this.#killReason)
        hello.reject(error)
        this.#exited(generation, error)
      },
    })
    const session = new Session({
      side: 'initiator',
      hello: createHello({ role: 'kernel', name: `kernel pid ${process.pid}` }),
      write: (chunk) => guest.write(chunk),
      logger: this.#request.logger,
      window: this.#settings.window,
      onRefused: () => void this.refused++,
      handlers: {
        ready: (handshake) => {
          const offered = handshake.peer.services[0]?.name
          if (offered === this.#service) hello.resolve()
          else {
            hello.reject(
              new PlexusError(
                'PROTOCOL',
                `Guest of '${this.id}' hosts '${String(offered)}', expected '${this.#service}'`,
                { data: { reason: 'handshake' } },
              ),
            )
          }
        },
        broken: (error) => this.#kill(generation, `link broken: ${error.message}`),
        request: (request, exchange) => this.#traffic.request(request, exchange),
        event: (event) => this.#traffic.event(event),
        pong: (seq) => this.#liveness?.pong(seq),
      },
    })
    this.#guest = guest
    this.#session = session
    this.#killReason = undefined
    const timer = setTimeout(
      () =>
        hello.reject(
          new PlexusError(
            'START_TIMEOUT',
            `Guest of '${this.id}' did not say HELLO within ${this.#settings.helloTimeout} ms`,
          ),
        ),
      this.#settings.helloTimeout,
    )
    try {
      await helloSeen
      const budget = ctx !== undefined ? ctx.remaining() : this.#settings.helloTimeout
      await session.call(`${this.#service}.${RESERVED_ACTIONS.started}`, undefined, {
        deadline: budget,
      })
    } catch (error) {
      if (this.#generation === generation) await this.#end(guest)
      throw error
    } finally {
      clearTimeout(timer)
    }
    if (this.#stopped || this.#generation !== generation) {
      throw this.#unavailable('was stopped while starting')
    }
    this.state = 'running'
    if (this.#settings.pingInterval > 0) {
      this.#liveness = new Liveness(this.#settings.pingInterval, this.#settings.pingMisses, {
        ping: (seq) => session.ping(seq),
        heardAt: () => session.receivedAt,
        unresponsive: (missed) =>
          this.#kill(generation, `unresponsive: ${missed} PINGs missed in a row`),
      })
    }
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.resolve()
  }

  /** The guest of `generation` is gone: fail what was in flight, then restart or give up. */
  #exited(generation: number, error: PlexusError): void {
    if (generation !== this.#generation) return
    this.#liveness?.stop()
    this.#liveness = undefined
    this.#session?.close(error)
    this.#session = undefined
    this.#guest = undefined
    if (this.#stopped || this.state !== 'running') return
    this.state = 'starting'
    this.#exitReason = (error.data as { reason?: string }).reason
    if (this.#group !== undefined) {
      this.#group.exited(this.#member, error, this.#request.bus.now())
      return
    }
    const wait = this.#budget.take(this.#request.bus.now())
    if (wait === undefined) {
      this.#giveUp(error)
      return
    }
    this.restarts++
    this.#request.logger.warn(
      { instance: this.id, reason: this.#exitReason, wait },
      `${error.message}; restarting in ${wait} ms`,
    )
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined
      this.#relaunch().then(
        () => {},
        () => {},
      )
    }, wait)
  }

  /** Starts the guest again after it died or its group ended it; announces the restart. */
  async #relaunch(): Promise<void> {
    if (this.#stopped) return
    await this.start(this.#traffic.lifecycleContext())
    this.#announce(RESTARTED_TOPIC, { reason: this.#exitReason })
  }

  /** Its group ends this guest because a sibling failed: calls in flight end UNAVAILABLE. */
  async #terminate(reason: string): Promise<void> {
    if (this.#stopped) return
    this.state = 'starting'
    this.#exitReason = reason
    this.#liveness?.stop()
    this.#liveness = undefined
    const guest = this.#guest
    if (guest === undefined) return
    this.#killReason ??= reason
    await this.#end(guest)
  }

  /** Past the restart intensity: FAILED, reported in the log, the status and an event. */
  #giveUp(error: PlexusError): void {
    const failure = new PlexusError(
      'UNAVAILABLE',
      `Instance '${this.id}' failed: restart intensity exceeded (${this.#settings.restart.intensity} in ${this.#settings.restart.period} ms); last cause: ${error.message}`,
      { retryable: true, cause: error, data: { instance: this.id, state: 'failed' } },
    )
    this.#fail(failure, error)
  }

  /** FAILED with `failure` (its own or its group's); `error` is the last cause. */
  #fail(failure: PlexusError, error: PlexusError): void {
    if (this.#stopped || this.state === 'failed') return
    this.state = 'failed'
    this.#failure = failure
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#liveness?.stop()
    // A running member of an escalating group is ended too (Erlang terminates every child).
    if (this.#guest !== undefined) void this.#end(this.#guest)
    this.#rejectWaiters(this.#failure)
    this.#request.logger.error(
      { instance: this.id, err: error, restarts: this.restarts },
      `Instance '${this.id}' is FAILED: restart intensity exceeded`,
    )
    this.#announce(FAILED_TOPIC, { reason: error.message, cause: error.toJSON() })
    // Tell the kernel: once every instance of the version has failed, the version is FAILED.
    this.#request.failed(this.#failure)
  }

  #announce(topic: string, detail: Record<string, unknown>): void {
    this.#request.bus.announce(topic, {
      service: this.#service,
      version: this.#request.definition.version ?? 1,
      instance: this.id,
      placement: this.placement,
      restarts: this.restarts,
      ...detail,
    })
  }

  #kill(generation: number, reason: string): void {
    if (generation !== this.#generation || this.#guest === undefined) return
    this.#killReason ??= reason
    this.#guest.kill()
  }

  /** Ends a guest: close the link, wait up to the grace, then kill, and wait for the exit. */
  async #end(guest: GuestHandle): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.#guest !== guest) {
          clearInterval(check)
          resolve()
        }
      }, 5)
      check.unref()
    })
    this.#session?.flush()
    guest.close()
    const grace = setTimeout(() => guest.kill(), this.#settings.stopGrace)
    const ceiling = new Promise<void>((resolve) =>
      setTimeout(resolve, this.#settings.stopGrace + 2000).unref(),
    )
    await Promise.race([gone, ceiling])
    clearTimeout(grace)
  }

  // ---- the remote call path ----

  #remote(address: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    const session = this.#session
    if (session !== undefined && this.state === 'running') {
      return session.call(address, input, outboundOf(ctx))
    }
    return this.#ready().then(() => this.#remote(address, ctx, input))
  }

  async #openRemote(
    kind: 'stream' | 'channel',
    address: string,
    ctx: MessageContext,
    input: unknown,
  ): Promise<AsyncIterator<unknown>> {
    if (this.#session === undefined || this.state !== 'running') await this.#ready()
    return this.#session!.open(kind, address, input, outboundOf(ctx))
  }

  /** Resolves when a guest is running again; rejects at once when FAILED or stopped. */
  #ready(): Promise<void> {
    if (this.state === 'failed') return Promise.reject(this.#failure ?? this.#unavailable('failed'))
    if (this.#stopped || this.state === 'stopped' || this.state === 'draining') {
      return Promise.reject(this.#unavailable(`is ${this.state}`))
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  #rejectWaiters(error: PlexusError): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }

  // ---- bookkeeping ----

  #unavailable(what: string): PlexusError {
    return new PlexusError('UNAVAILABLE', `Instance '${this.id}' ${what}`, {
      retryable: true,
      data: { instance: this.id },
    })
  }
}
