import { PlexusError, type Context } from '@plexus/kernel'
import { isRevisionConflict } from '@plexus/kv'

/** A lease as stored: who holds it and until when (epoch ms, the holder's clock). */
export interface LeaseRecord {
  /** The holding process (node id and a per-process token: a restarted node is another holder). */
  holder: string
  /** The holder's node id (named in the refusal). */
  node: string
  /** Held until this time unless renewed. */
  until: number
}

/** The kv key of an actor's lease. */
export const leaseKey = (type: string, key: string) => `actor-lease/${type}/${key}`

/**
 * A lease in the kv service: a record written by compare-and-set, held until `until` and
 * renewed by its holder. Expiry is in the value rather than a store TTL so every backend gives
 * it (NATS KV before 2.11 has no per-key TTL); it assumes the nodes' clocks agree to well within
 * the lease's length.
 */
export class Lease {
  /** The revision of our record, 0 when not held. */
  revision = 0
  /** When our hold ends unless renewed. */
  until = 0

  constructor(
    readonly store: string,
    readonly kvKey: string,
    readonly holder: string,
    readonly node: string,
    readonly ttl: number,
    readonly what: string,
  ) {}

  /** Whether we hold it now with at least `margin` ms left. */
  held(margin = 0): boolean {
    return this.revision > 0 && Date.now() + margin < this.until
  }

  /**
   * Takes the lease, or renews ours. Refused with UNAVAILABLE (retryable, `data.reason:
   * 'leased'`, `data.owner`) while another holder's lease is live; a lost renewal also answers
   * UNAVAILABLE and leaves the lease not held; a store error is rethrown, the hold unchanged.
   */
  async take(ctx: Pick<Context, 'call'>): Promise<void> {
    const now = Date.now()
    let revision = this.revision
    if (revision === 0) {
      const entry = await ctx.call<{ value: LeaseRecord; revision: number } | null>(
        `${this.store}.getEntry`,
        { key: this.kvKey },
      )
      const other = entry?.value
      if (other !== undefined && other.holder !== this.holder && other.until > now) {
        throw this.#refused(other)
      }
      revision = entry?.revision ?? 0
    }
    const until = now + this.ttl
    try {
      const written = await ctx.call<{ revision: number }>(`${this.store}.cas`, {
        key: this.kvKey,
        value: { holder: this.holder, node: this.node, until } satisfies LeaseRecord,
        ifRevision: revision,
      })
      this.revision = written.revision
      this.until = until
    } catch (error) {
      // A store error leaves our hold as it was (it may still run out); a conflict ends it.
      if (!isRevisionConflict(error)) throw error
      this.revision = 0
      this.until = 0
      throw new PlexusError(
        'UNAVAILABLE',
        `${this.what}: its lease was taken by another node; try again`,
        { retryable: true, data: { reason: 'leased', lease: this.kvKey }, cause: error },
      )
    }
  }

  /** Gives the lease up (only if still ours); errors are the caller's to log. */
  async release(ctx: Pick<Context, 'call'>): Promise<void> {
    const revision = this.revision
    this.revision = 0
    this.until = 0
    if (revision === 0) return
    await ctx
      .call(`${this.store}.delete`, { key: this.kvKey, ifRevision: revision })
      .catch((error: unknown) => {
        if (!isRevisionConflict(error)) throw error
      })
  }

  #refused(other: LeaseRecord): PlexusError {
    return new PlexusError(
      'UNAVAILABLE',
      `${this.what} is active on node '${other.node}' (leased for ${Math.max(0, other.until - Date.now())} ms more); try again`,
      {
        retryable: true,
        data: { reason: 'leased', owner: other.node, until: other.until, lease: this.kvKey },
      },
    )
  }
}
