/** Which end of a link a side is: the one that opened it (dialled, spawned) or the one that accepted. */
export type LinkSide = 'initiator' | 'acceptor'

/**
 * Exchange ids for one side of a link. Both sides share one id space and may both send
 * REQUESTs, so the initiator takes odd ids and the acceptor even ones; a CREDIT or CANCEL is
 * then never ambiguous. Ids wrap within uint32 and never take 0 (reserved for the link itself).
 */
export class IdSequence {
  #next: number

  constructor(side: LinkSide) {
    this.#next = side === 'initiator' ? 1 : 2
  }

  /** The next id; `inUse` lets the caller skip ids of exchanges still open after a wrap. */
  next(inUse?: (id: number) => boolean): number {
    for (;;) {
      const id = this.#next
      this.#next = id >= 0xfffffffe ? (id & 1 ? 1 : 2) : id + 2
      if (inUse === undefined || !inUse(id)) return id
    }
  }
}

/** True when `id` belongs to the given side's half of the id space. */
export function isIdOf(side: LinkSide, id: number): boolean {
  return id !== 0 && (id & 1) === (side === 'initiator' ? 1 : 0)
}
