import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Context } from '@plexus/kernel'
import type { Activation } from './activation.js'
import { Lease, leaseKey } from './actor-lease.js'
import type { LeaseOptions } from './actor-types.js'

/**
 * An actor type's leases in strict mode: one per active key (taken before the state is loaded,
 * renewed every third of the ttl, released on deactivation) and the type's reminder-scan lease
 * (one scanner per cluster). Releases are tracked so stopping waits for them while the store
 * still runs.
 */
export class ActorLeases {
  /** How long a lease holds without renewal. */
  readonly ttl: number
  /** The reminder scan's lease. */
  readonly scan: Lease
  readonly #store: string
  readonly #type: string
  readonly #node: string
  readonly #holder: string
  readonly #releases = new Set<Promise<void>>()

  constructor(type: string, store: string, options: true | LeaseOptions, reminderScan: number) {
    const given = options === true ? {} : options
    this.ttl = given.ttl ?? 10_000
    this.#node = given.node ?? `${hostname()}-${process.pid}`
    // One holder per process: a node restarted under the same id is another holder.
    this.#holder = `${this.#node}#${randomUUID()}`
    this.#store = store
    this.#type = type
    this.scan = this.#lease(
      `actor-scan/${type}`,
      Math.max(this.ttl, 3 * reminderScan),
      `Reminder scan of '${type}'`,
    )
  }

  /** Takes `key`'s lease; refused UNAVAILABLE while another live holder has it. */
  async take(ctx: Context, key: string): Promise<Lease> {
    const lease = this.#lease(leaseKey(this.#type, key), this.ttl, `Actor '${this.#type}/${key}'`)
    await lease.take(ctx)
    return lease
  }

  /**
   * Keeps `act`'s lease renewed while it lives. A lost renewal drops it; so does a key that
   * `movedAway` says another node now owns, once idle for a ttl (the new owner would otherwise
   * be refused until this activation's `idle`).
   */
  keep(
    act: Activation<unknown>,
    lease: Lease,
    bus: () => Context | undefined,
    movedAway: (key: string) => boolean,
    drop: () => void,
  ): void {
    act.lease = lease
    act.renewal = setInterval(() => {
      const ctx = bus()
      if (ctx === undefined || act.dropped) return
      const now = Date.now()
      if (!act.busy && now - act.lastUsedAt(now) >= this.ttl && movedAway(act.key)) return drop()
      lease.take(ctx).catch((error: unknown) => {
        // Lost (or unreachable past its end): no more turns here; the next message reactivates.
        if (!lease.held()) drop()
        ctx.logger.warn(
          { err: error, actor: this.#type, key: act.key },
          'Actor lease renewal failed',
        )
      })
    }, this.ttl / 3)
    act.renewal.unref?.()
  }

  /** Whether this kernel is the scanner: it holds (or now took) the scan lease. */
  elected(ctx: Context): Promise<boolean> {
    if (this.scan.held(this.scan.ttl / 2)) return Promise.resolve(true)
    return this.scan.take(ctx).then(
      () => true,
      () => false,
    )
  }

  /** Gives `lease` up in the background (logged on failure; awaited by `settled`). */
  release(ctx: Context | undefined, lease: Lease): void {
    if (ctx === undefined) return
    const done = lease
      .release(ctx)
      .catch((error: unknown) =>
        ctx.logger.warn({ err: error, lease: lease.kvKey }, 'Actor lease release failed'),
      )
      .finally(() => this.#releases.delete(done))
    this.#releases.add(done)
  }

  /** Settles once every release started has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.#releases)
  }

  #lease(kvKey: string, ttl: number, what: string): Lease {
    return new Lease(this.#store, kvKey, this.#holder, this.#node, ttl, what)
  }
}
