import { RAN_CODES } from './event-flow.js'

/** The HELLO feature of a node that tallies one-way events; a peer without it gets calls. */
export const EVENT_TALLY_FEATURE = 'event-tally'

/** The address a node's tally of the peer's one-way events goes to (a `send` on the node link). */
export const SETTLED_ADDRESS = 'link.$settled'

/** How many of the peer's events ended since the last tally: ran here, or dropped (by error code). */
export interface Tally {
  handled: number
  dropped?: Record<string, number>
}

const CODE = /^[A-Z][A-Z_]{0,31}$/
const MAX_REASONS = 32

/**
 * Counts how the plain events a peer sent one way over a node link ended on this node, and
 * writes them back in batches: at most one tally per turn of the event loop, whatever the
 * rate, so the peer's buffer (EventFlow) learns what left it without one answer per event.
 * A handler that ran and failed (HANDLER, VALIDATION) counts as handled: its failure is this
 * node's to report, and the kernel does.
 */
export class EventTally {
  #handled = 0
  #dropped: Record<string, number> | undefined
  #scheduled = false
  readonly #write: (tally: Tally) => void

  constructor(write: (tally: Tally) => void) {
    this.#write = write
  }

  /** One event's handlers finished. */
  readonly ran = (): void => {
    this.#handled++
    this.#schedule()
  }

  /** One event ended with `error`: handled if its handler ran, dropped otherwise. */
  readonly failed = (error: unknown): void => {
    const code = (error as { code?: unknown } | null)?.code
    const reason = typeof code === 'string' && CODE.test(code) ? code : 'HANDLER'
    if (RAN_CODES.has(reason)) {
      this.#handled++
    } else {
      const dropped = (this.#dropped ??= {})
      dropped[reason] = (dropped[reason] ?? 0) + 1
    }
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#flush)
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    const tally: Tally = { handled: this.#handled }
    if (this.#dropped !== undefined) tally.dropped = this.#dropped
    this.#handled = 0
    this.#dropped = undefined
    this.#write(tally)
  }
}

/** A peer's tally as read off the wire, or undefined when it is not one (bad counts, codes). */
export function readTally(input: unknown): Tally | undefined {
  if (typeof input !== 'object' || input === null) return undefined
  const { handled, dropped } = input as Partial<Tally>
  if (!Number.isSafeInteger(handled) || handled! < 0) return undefined
  if (dropped === undefined) return { handled: handled! }
  if (typeof dropped !== 'object' || dropped === null || Array.isArray(dropped)) return undefined
  const reasons: Record<string, number> = {}
  let count = 0
  for (const reason of Object.keys(dropped)) {
    const n = dropped[reason]
    if (++count > MAX_REASONS || !CODE.test(reason)) return undefined
    if (!Number.isSafeInteger(n) || n! < 0) return undefined
    reasons[reason] = n!
  }
  return { handled: handled!, dropped: reasons }
}
