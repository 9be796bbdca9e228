import { PlexusError, type Context } from '@plexus/kernel'
import { durableInfo } from './durable-meta.js'

/**
 * The part of `@plexus/kv`'s shared-store contract the dedup helper writes through (Redis, NATS
 * KV): `set` with `ifRevision: 0` writes only if the key is absent, else refuses with a revision
 * conflict (`data.conflict === 'revision'`).
 */
export interface DedupStore {
  get(key: string): Promise<{ value: unknown; revision: number } | null>
  set(key: string, value: unknown, options?: { ifRevision?: number; ttl?: number }): Promise<number>
}

/** Options of `dedup`. */
export interface DedupOptions {
  /** Key prefix (default `dedup/`); the key is `<prefix><service>/<event id>`. */
  prefix?: string
  /** How long a mark is kept, in ms (a store that cannot honour a per-key TTL refuses it). */
  ttl?: number
}

/** Remembers which durable events a service has handled, in a shared kv store. */
export interface Dedup {
  /**
   * True for the first delivery of this event to this service to claim it, false for every
   * later one (a redelivery, a duplicate publish): for a side effect that is one write, made
   * right after the claim. A claim is never released.
   */
  claim(ctx: Context): Promise<boolean>
  /**
   * Runs `effect` unless this service already finished it for this event, then records it.
   * A crash after `effect` and before the record runs it again on the redelivery: make the
   * effect idempotent, or use `claim` when it is one write.
   */
  once<T>(ctx: Context, effect: () => T | Promise<T>): Promise<T | undefined>
}

/**
 * A dedup helper over a shared kv store (`redisStore`, `natsStore` from `@plexus/kv`): keyed by
 * the service and the event id a durable delivery carries (`plexus.event.id`).
 *
 * @example
 * const seen = dedup(redisStore({ url }), { ttl: 7 * 86_400_000 })
 * // in a durable handler:
 * if (!(await seen.claim(ctx))) return // already shipped
 */
export function dedup(store: DedupStore, options: DedupOptions = {}): Dedup {
  const prefix = options.prefix ?? 'dedup/'
  const write = options.ttl === undefined ? { ifRevision: 0 } : { ifRevision: 0, ttl: options.ttl }
  const keyOf = (ctx: Context): string => {
    const info = durableInfo(ctx)
    if (info === undefined) {
      throw new PlexusError(
        'INVALID_STATE',
        `dedup: ${ctx.service} '${ctx.action}' is not handling a durable event (no plexus.event.id)`,
      )
    }
    return `${prefix}${ctx.service}/${info.id}`
  }
  const claim = async (key: string): Promise<boolean> => {
    try {
      await store.set(key, { at: Date.now() }, write)
      return true
    } catch (error) {
      if (isConflict(error)) return false
      throw error
    }
  }
  return {
    claim: (ctx) => claim(keyOf(ctx)),
    async once(ctx, effect) {
      const key = keyOf(ctx)
      if ((await store.get(key)) !== null) return undefined
      const result = await effect()
      await claim(key)
      return result
    },
  }
}

function isConflict(error: unknown): boolean {
  const data = (error as { data?: { conflict?: unknown } } | null)?.data
  return data?.conflict === 'revision'
}
