import {
  PlexusError,
  toPlexusError,
  type InstanceLink,
  type InstanceState,
  type MessageContext,
  type PlacementRequest,
} from '@plexus/kernel'
import { HostTraffic, Liveness, RESERVED_ACTIONS, outboundOf, type Session } from '@plexus/wire'
import { endGuest, type GuestHandle, type Spawn } from './guest-handle.js'
import { launchGuest } from './guest-session.js'
import type { InstancePool, PoolMember } from './instance-pool.js'

import type { ResolvedSettings } from './isolation-settings.js'

import { RestartBudget } from './restart-budget.js'
import type { GroupMember, SupervisionGroup } from './supervision-group.js'

/** Topic of the event emitted when an instance exceeds its restart intensity. */
export const FAILED_TOPIC = 'plexus.instance.failed'
/** Topic of the event emitted when a supervised instance has been restarted. */
export const RESTARTED_TOPIC = 'plexus.instance.restarted'

/**
 * The link to one instance of a service running in a worker or a child process. It supervises
 * its own guest (one-for-one), or leaves the restart to its supervision group: when the guest
 * dies every message in flight on it ends at once with UNAVAILABLE (retryable), the guest is
 * started again after a backoff, and past the restart intensity the instance is FAILED. In an
 * autoscaled pool it is a slot the pool starts a guest in, or drains and parks (`idle`). The
 * kernel keeps the mailboxes, interceptors and figures on its side of the link, so queued
 * messages survive a restart in order; the guest's own traffic is HostTraffic, the launch is
 * `launchGuest`. What stays here is one concept, the supervised guest (start, liveness, exit,
 * restart, give up, park) and the path to it.
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
  readonly #pool: InstancePool | undefined
  /** What its supervision group and its pool may do to it (one object for both roles). */
  readonly #member: GroupMember & PoolMember
  #exitReason: string | undefined

  constructor(
    request: PlacementRequest,
    placement: string,
    spawn: Spawn,
    settings: ResolvedSettings,
    module: string,
    group?: SupervisionGroup,
    pool?: InstancePool,
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
    this.#pool = pool
    this.#member = {
      id: this.id,
      terminate: (reason) => this.#endGuest(reason, 'starting'),
      relaunch: () => {
        this.restarts++
        return this.#relaunch()
      },
      giveUp: (failure) => this.#fail(failure, failure),
      announce: (topic, detail) => this.#announce(topic, detail),
      state: () => this.state,
      pending: () => this.#session?.pending ?? 0,
      activate: async () => {
        if (this.state === 'idle') await this.#run(this.#traffic.lifecycleContext())
      },
      drain: () => {
        if (this.state === 'running') this.state = 'draining'
      },
      park: () => this.#park(),
    }
    pool?.join(this.#member)
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
    // A pool's slots past its `min` stay parked (no guest) until the pool scales out.
    if (this.#pool !== undefined && !this.#pool.startsWithKernel(this.#member)) {
      this.#stopped = false
      this.state = 'idle'
      return
    }
    await this.#run(ctx)
  }

  /** Starts the guest, retrying within the restart budget. */
  async #run(ctx: MessageContext): Promise<void> {
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
    this.#pool?.stop()
    this.#group?.leave(this.#member)
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#liveness?.stop()
    const session = this.#session
    const guest = this.#guest
    await this.#stoppedHook(session, ctx.remaining())
    this.#rejectWaiters(this.#unavailable('is stopped'))
    if (guest !== undefined) await this.#end(guest)
  }

  /** Runs the guest's `stopped` hook, if its link is up; a failure is logged. */
  async #stoppedHook(session: Session | undefined, deadline: number): Promise<void> {
    if (session === undefined || session.closed !== undefined) return
    try {
      await session.call(`${this.#service}.${RESERVED_ACTIONS.stopped}`, undefined, { deadline })
    } catch (error) {
      this.#request.logger.warn({ instance: this.id, err: error }, 'Guest stopped hook failed')
    }
  }

  // ---- launch and supervision ----

  /** Starts one guest and runs its `started` hook; rejects if it dies or fails on the way. */
  async #launch(ctx: MessageContext | undefined): Promise<void> {
    const generation = ++this.#generation
    const { guest, session, hello, settle } = launchGuest(this.#spawn, {
      id: this.id,
      service: this.#service,
      placement: this.placement,
      module: this.#module,
      settings: this.#settings,
      logger: this.#request.logger,
      traffic: this.#traffic,
      killReason: () => this.#killReason,
      exited: (error) => this.#exited(generation, error),
      broken: (reason) => this.#kill(generation, reason),
      refused: () => void this.refused++,
      pong: (seq) => this.#liveness?.pong(seq),
    })
    this.#guest = guest
    this.#session = session
    this.#killReason = undefined
    try {
      await hello
      const budget = ctx !== undefined ? ctx.remaining() : this.#settings.helloTimeout
      await session.call(`${this.#service}.${RESERVED_ACTIONS.started}`, undefined, {
        deadline: budget,
      })
    } catch (error) {
      if (this.#generation === generation) await this.#end(guest)
      throw error
    } finally {
      settle()
    }
    if (this.#stopped || this.#generation !== generation) {
      throw this.#unavailable('was stopped while starting')
    }
    this.state = 'running'
    if (this.#settings.pingInterval > 0) {
      const { pingInterval, pingMisses } = this.#settings
      this.#liveness = Liveness.of(session, pingInterval, pingMisses, (missed) =>
        this.#kill(generation, `unresponsive: ${missed} PINGs missed in a row`),
      )
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
    await this.#run(this.#traffic.lifecycleContext())
    this.#announce(RESTARTED_TOPIC, { reason: this.#exitReason })
  }

  /**
   * Ends the guest on purpose, its state `state` meanwhile (so its exit starts no restart): its
   * group ends it because a sibling failed (`starting`), or its pool parks it (`draining`).
   * Calls still in flight on it end UNAVAILABLE.
   */
  async #endGuest(reason: string, state: InstanceState): Promise<void> {
    if (this.#stopped) return
    this.state = state
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
    this.#session?.flush()
    await endGuest(guest, () => this.#guest !== guest, this.#settings.stopGrace)
  }

  // ---- the remote call path ----

  #remote(address: string, ctx: MessageContext, input: unknown): Promise<unknown> {
    const session = this.#session
    // A draining pool slot still serves what was routed to it before it left routing.
    if (session !== undefined && (this.state === 'running' || this.state === 'draining')) {
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
    if (this.#session === undefined || (this.state !== 'running' && this.state !== 'draining')) {
      await this.#ready()
    }
    return this.#session!.open(kind, address, input, outboundOf(ctx))
  }

  /** Resolves when a guest is running again; rejects at once when FAILED or stopped. */
  #ready(): Promise<void> {
    if (this.state === 'failed') return Promise.reject(this.#failure ?? this.#unavailable('failed'))
    if (this.#stopped || this.state === 'stopped' || this.state === 'draining') {
      return Promise.reject(this.#unavailable(`is ${this.state}`))
    }
    if (this.state === 'idle') this.#pool?.demand(this.#member)
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  #rejectWaiters(error: PlexusError): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }

  /** Scale-in, once drained: the `stopped` hook, then the guest ends; the slot is idle. */
  async #park(): Promise<void> {
    if (this.#stopped || this.state !== 'draining') return
    this.#group?.leave(this.#member)
    await this.#stoppedHook(this.#session, this.#settings.helloTimeout)
    await this.#endGuest('scaled in', 'draining')
    if (!this.#stopped) this.state = 'idle'
  }

  // ---- bookkeeping ----

  #unavailable(what: string): PlexusError {
    return new PlexusError('UNAVAILABLE', `Instance '${this.id}' ${what}`, {
      retryable: true,
      data: { instance: this.id },
    })
  }
}
