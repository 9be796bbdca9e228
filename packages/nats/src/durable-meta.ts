import type { Context } from '@plexus/kernel'

/**
 * Reserved meta keys of a durable delivery (docs/events.md). A handler reads them from
 * `ctx.meta` (or with `durableInfo(ctx)`) to be idempotent; a publisher may set `EVENT_ID` in
 * `emit`'s meta to choose the event id (JetStream drops a second publish of it within the
 * stream's duplicate window).
 */
export const DURABLE_META = {
  /** The event id: the `Nats-Msg-Id` it was published with. */
  id: 'plexus.event.id',
  /** Which attempt this is: 1 on the first delivery. */
  delivery: 'plexus.event.delivery',
  /** The event's sequence in the stream. */
  seq: 'plexus.event.seq',
} as const

/** What a durable handler knows of the delivery it is handling. */
export interface DurableInfo {
  /** The event id (stable across redeliveries and publisher retries). */
  readonly id: string
  /** 1 on the first delivery, 2 on the first redelivery, ... */
  readonly delivery: number
  /** The event's sequence in the stream. */
  readonly seq: number
}

/** The durable delivery `ctx` is handling, or undefined for a plain event. */
export function durableInfo(ctx: Pick<Context, 'meta'>): DurableInfo | undefined {
  const meta = ctx.meta as Record<string, unknown>
  const id = meta[DURABLE_META.id]
  const delivery = meta[DURABLE_META.delivery]
  if (typeof id !== 'string' || typeof delivery !== 'number') return undefined
  const seq = meta[DURABLE_META.seq]
  return { id, delivery, seq: typeof seq === 'number' ? seq : 0 }
}
