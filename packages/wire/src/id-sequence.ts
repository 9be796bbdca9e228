import { PlexusError } from '@plexus/kernel'

/** Which end of a link a side is: the one that opened it (dialled, spawned) or the one that accepted. */
export type LinkSide = 'initiator' | 'acceptor'

/**
 * Exchange ids for one side of a link. Both sides share one id space and may both send
 * REQUESTs, so the initiator takes odd ids and the acceptor even ones; a CREDIT or CANCEL is
 * then never ambiguous. Ids wrap within uint32 and never take 0 (reserved for the link itself).
 */
export class IdSequence {
  #next: number

  /** `first` resumes a sequence (default 1 or 2); it must be a non-zero uint32 of the side's parity. */
  constructor(side: LinkSide, first?: number) {
    this.#next = side === 'initiator' ? 1 : 2
    if (first !== undefined) {
      if (first >>> 0 !== first || !isIdOf(side, first)) {
        throw new PlexusError(
          'INVALID_ARGUMENT',
          `IdSequence: ${first} is not an id of the ${side}`,
        )
      }
      this.#next = first
    }
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
