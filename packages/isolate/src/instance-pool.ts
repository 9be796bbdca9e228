import { PlexusError, type InstanceState, type InstanceStatus } from '@plexus/kernel'
import type { ResolvedPool } from './pool-settings.js'

/** Topic of the event emitted when a pool changed its number of running instances. */
export const POOL_SCALED_TOPIC = 'plexus.pool.scaled'

/** What a pool needs of one of its instance slots (an IsolatedInstance in this package). */
export interface PoolMember {
  /** The instance id, as in `kernel.services()`. */
  readonly id: string
  /** Its state: `idle` while it has no guest (parked). */
  state(): InstanceState
  /** Exchanges still open on its link (streams included), which a drain waits for too. */
  pending(): number
  /** Starts a guest in the slot (scale-out). */
  activate(): Promise<void>
  /** Stops routing to it: state `draining`, so the kernel sends new messages elsewhere. */
  drain(): void
  /** Ends its guest once drained (runs its `stopped` hook): state `idle` again. */
  park(): Promise<void>
}

/** Where a pool reads figures and sends its events: the kernel, through the plug-in. */
export interface PoolHost {
  /** The kernel's instance figures of this pool's version, by instance id. */
  figures(): ReadonlyMap<string, InstanceStatus>
  /** Publishes a `plexus.*` event. */
  announce(topic: string, payload: Record<string, unknown>): void
  /** Milliseconds a scale-in waits for its instance to drain (the kernel's drain timeout). */
  readonly drainTimeout: number
  /** Logs a scale-in that had to end work in flight. */
  warn(fields: Record<string, unknown>, message: string): void
}

/**
 * An autoscaled pool over the instance slots of one service version. The kernel made the slots;
 * the first `min` start with the kernel, the others stay parked (`idle`, no guest, skipped by
 * the router while another instance runs). Every `interval` it reads the kernel's figures — in
 * flight (queued included) and calls/s per instance, nothing added to the call path — and:
 * - scales **out** at once to ⌈load / target⌉ (and ⌈rate / rate target⌉) when that is above the
 *   running count, bounded by `max`;
 * - scales **in** one instance when, for `settle` readings in a row, the load would still be at
 *   most half the target with one instance fewer (the hysteresis band between the two);
 * - waits `cooldown` after each step before the next. A scale-in drains: the instance leaves
 *   routing, its messages in flight and open streams finish (bounded by the drain timeout),
 *   then its guest ends. Each step is announced as `plexus.pool.scaled` { from, to, reason }.
 */
export class InstancePool {
  readonly settings: ResolvedPool
  readonly #members: PoolMember[] = []
  readonly #host: PoolHost
  readonly #detail: Record<string, unknown>
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  #busy = false
  #quiet = 0
  #changedAt = -Infinity
  #stopped = false

  constructor(
    settings: ResolvedPool,
    host: PoolHost,
    detail: Record<string, unknown>,
    now: () => number,
  ) {
    this.settings = settings
    this.#host = host
    this.#detail = detail
    this.#now = now
  }

  /** A slot the kernel made for this version, in its order. */
  join(member: PoolMember): void {
    this.#members.push(member)
  }

  /** Whether `member` starts a guest with the kernel (the first `min` slots) or stays parked. */
  startsWithKernel(member: PoolMember): boolean {
    const slots = this.#members.length
    const { min, max } = this.settings
    if (max === 0) this.settings.max = slots
    else if (max !== slots) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${String(this.#detail.service)}: setting 'instances.max' (${max}) must be the service's instance count (${slots}): add(..., { instances: ${max} })`,
      )
    }
    if (min > slots) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${String(this.#detail.service)}: setting 'instances.min' (${min}) is above the instance count (${slots})`,
      )
    }
    if (this.#timer === undefined && !this.#stopped) {
      this.#timer = setInterval(() => void this.#tick(), this.settings.interval)
      this.#timer.unref()
    }
    return this.#members.indexOf(member) < min
  }

  /** The version stops (kernel stop, replace, remove): no more scaling. */
  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
  }

  /** A message reached a parked slot (no other instance ran): start its guest. */
  demand(member: PoolMember): void {
    if (this.#stopped || member.state() !== 'idle') return
    const from = this.#running().length
    void this.#step(() => member.activate(), from, from + 1, 'a message reached a parked instance')
  }

  #running(): PoolMember[] {
    return this.#members.filter((m) => m.state() === 'running' || m.state() === 'starting')
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#stopped) return
    const running = this.#running()
    if (running.length === 0) return
    const figures = this.#host.figures()
    let load = 0
    let rate = 0
    for (const m of running) {
      load += figures.get(m.id)?.inFlight ?? 0
      rate += figures.get(m.id)?.rate ?? 0
    }
    const { min, max, target, cooldown, settle } = this.settings
    const perRate = this.settings.rate
    const wanted = Math.max(
      Math.ceil(load / target),
      perRate === undefined ? 0 : Math.ceil(rate / perRate),
    )
    const desired = Math.min(max, Math.max(min, wanted))
    const from = running.length
    const cooled = this.#now() - this.#changedAt >= cooldown
    if (desired > from) {
      this.#quiet = 0
      if (!cooled) return
      const parked = this.#members.filter((m) => m.state() === 'idle').slice(0, desired - from)
      const reason = `${load} in flight and ${rate} calls/s over ${from} instances (target ${target} in flight${perRate === undefined ? '' : `, ${perRate} calls/s`} per instance)`
      await this.#step(
        () => Promise.all(parked.map((m) => m.activate())),
        from,
        from + parked.length,
        reason,
      )
      return
    }
    const fewer = from - 1
    const calm =
      fewer >= min &&
      load <= (target * fewer) / 2 &&
      (perRate === undefined || rate <= (perRate * fewer) / 2)
    this.#quiet = calm ? this.#quiet + 1 : 0
    if (!calm || this.#quiet < settle || !cooled) return
    this.#quiet = 0
    // The last slot started is the first to go; the first `min` slots never do.
    const leaving = running[running.length - 1]!
    const reason = `${load} in flight and ${rate} calls/s over ${from} instances for ${settle} readings (at most half the target with one fewer)`
    await this.#step(() => this.#drainAndPark(leaving), from, fewer, reason)
  }

  async #step(
    run: () => Promise<unknown>,
    from: number,
    to: number,
    reason: string,
  ): Promise<void> {
    if (from === to) return
    this.#busy = true
    try {
      await run()
    } catch {
      // A guest that cannot start is reported by its own supervision (restarts, FAILED).
    } finally {
      this.#busy = false
      this.#changedAt = this.#now()
    }
    if (this.#stopped) return
    this.#host.announce(POOL_SCALED_TOPIC, {
      ...this.#detail,
      from,
      to: this.#running().length,
      reason,
      min: this.settings.min,
      max: this.settings.max,
    })
  }

  /** Leaves routing, waits until nothing of it is in flight (bounded), then ends its guest. */
  async #drainAndPark(member: PoolMember): Promise<void> {
    member.drain()
    const until = this.#now() + this.#host.drainTimeout
    const busy = (): boolean =>
      member.state() === 'draining' &&
      ((this.#host.figures().get(member.id)?.inFlight ?? 0) > 0 || member.pending() > 0)
    while (busy() && this.#now() < until && !this.#stopped) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    if (busy()) {
      this.#host.warn(
        { instance: member.id, drainTimeout: this.#host.drainTimeout },
        `Scale-in of '${member.id}': drain timeout passed with work still in flight`,
      )
    }
    await member.park()
  }
}
