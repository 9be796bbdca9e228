/** Address of the request that runs a guest's `started` hook. */
export const STARTED = 'lifecycle:started'
/** Address of the request that runs a guest's `stopped` hook. */
export const STOPPED = 'lifecycle:stopped'
/** Prefix of the address that delivers an event: `event:<pattern>`, input `{ topic, payload }`. */
export const EVENT_PREFIX = 'event:'
/** Meta key naming the exchange a guest's outbound message belongs to (stripped by the kernel). */
export const PARENT_KEY = '$plexus.parent'
/** A deadline budget that means "none" (the largest u32). */
export const NO_DEADLINE = 0xffffffff

/** The input of an event delivery request. */
export interface EventDelivery {
  topic: string
  payload?: unknown
}
