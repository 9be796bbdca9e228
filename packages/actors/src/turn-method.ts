import { PlexusError, type Context, type MessageContext } from '@plexus/kernel'
import type { TurnSelf } from './actor-self.js'

/** A turn's body: a method, a query, a reminder or a timer, given its `self` and input. */
export type TurnBody<S> = (self: TurnSelf<S>, input: any) => unknown

/**
 * One method of an actor type as its turns run it, made once per method: its body, whether it
 * is a query, and its backlog — the turns of this method waiting for their key, over all keys,
 * bounded like a kernel mailbox (`queue`), beyond which a message is refused OVERLOADED.
 */
export class TurnMethod<S> {
  /** The body. */
  readonly body: TurnBody<S>
  /** A query: its turns are never compared or saved. */
  readonly query: boolean
  /** `type.method`, for errors. */
  readonly where: string
  /** Turns of this method waiting (queued behind another turn of their key, or its activation). */
  waiting = 0
  readonly #capacity: number

  constructor(where: string, body: TurnBody<S>, query: boolean, capacity: number) {
    this.where = where
    this.body = body
    this.query = query
    this.#capacity = capacity
  }

  /** Counts one more waiting turn; throws OVERLOADED when the backlog is full. */
  wait(): void {
    if (this.waiting >= this.#capacity) {
      throw new PlexusError(
        'OVERLOADED',
        `Backlog of '${this.where}' is full: ${this.waiting} turns wait for their actor`,
        { data: { queued: this.waiting } },
      )
    }
    this.waiting++
  }

  /** A waiting turn's time came: counted off; throws why when its caller gave up meanwhile. */
  resume(ctx: Context): void {
    this.waiting--
    // Its caller already has TIMEOUT or CANCELLED: running it now would be a side effect
    // nobody waits for (as the kernel's mailboxes do).
    const reason = (ctx as Partial<MessageContext>).reason
    if (reason !== undefined) throw reason
  }
}
