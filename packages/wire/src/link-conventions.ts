/**
 * Reserved action names of a link's own requests, addressed `<service>.<name>` like any other
 * action (protocol.md §3's grammar allows a leading `$`; services cannot declare these names).
 */
export const RESERVED_ACTIONS = {
  /** Runs the service's `started` hook on the host (isolated guests; a remote host runs its own). */
  started: '$started',
  /** Runs the service's `stopped` hook on the host. */
  stopped: '$stopped',
  /** Delivers an event to the host's handler of `pattern`; input is an `EventDelivery`. */
  event: '$event',
  /** Carries a side's proof of identity, `link.$proof` (a `send`, right after HELLO; §5.3). */
  proof: '$proof',
} as const

/** The address of a proof of identity: the only envelope allowed between HELLO and the proof. */
export const PROOF_ADDRESS = `link.${RESERVED_ACTIONS.proof}`

/** The input of a `<service>.$event` request: which subscription, the topic emitted, the payload. */
export interface EventDelivery {
  pattern: string
  topic: string
  payload?: unknown
}

/** Meta key naming the exchange a host's outbound message belongs to (stripped by the kernel). */
export const PARENT_KEY = '$plexus.parent'

/** The largest deadline budget (u32 max): about 49.7 days, sent for a stream opened without one. */
export const NO_DEADLINE = 0xffffffff
