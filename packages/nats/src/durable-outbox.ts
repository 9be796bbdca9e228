import type { JetStreamClient, PubAck } from '@nats-io/jetstream'
import { PlexusError, type Logger } from '@plexus/kernel'

/** One event waiting for its PubAck. */
export interface OutboxEntry {
  /** The event id, sent as `Nats-Msg-Id`: a retry of it is a duplicate the stream drops. */
  readonly id: string
  readonly subject: string
  readonly data: string
  /** A per-message TTL (`Nats-TTL`, e.g. `30s`), only where the server was checked to honour it. */
  readonly ttl?: string | undefined
}

/** What the outbox has done so far. */
export interface OutboxStats {
  /** Events acknowledged by the stream (duplicates included). */
  published: number
  /** PubAcks that said the stream already had the id (a retry whose first try had landed). */
  duplicates: number
  /** Publishes that failed and were tried again. */
  retries: number
}

/** An acknowledged event, as `onAck` sees it. */
export interface OutboxAck {
  readonly id: string
  readonly subject: string
  readonly seq: number
  readonly duplicate: boolean
}

/**
 * Durable emits in memory until the stream acknowledges them: each is published with its id, a
 * failed publish is retried with the same id (growing pauses, up to 1 s) until a PubAck, and
 * `drain` waits for the rest when the kernel stops. `emit` never waits for it; a full outbox
 * refuses the emit (OVERLOADED) rather than grow without bound. A process killed before the
 * PubAck loses what it held: those are the "unknown" publishes (docs/events.md).
 */
export class Outbox {
  readonly stats: OutboxStats = { published: 0, duplicates: 0, retries: 0 }
  // A queue with a head index: shift() on a long array (an outage's backlog) copies it.
  #queue: OutboxEntry[] = []
  #head = 0
  readonly #js: JetStreamClient
  readonly #logger: Logger
  readonly #limit: number
  readonly #parallel: number
  readonly #timeout: number
  readonly #onAck: ((ack: OutboxAck) => void) | undefined
  #inFlight = 0
  #pause = 0
  #waiting = false
  #closed = false
  #idle: (() => void)[] = []
  // Emits of a turn are published together (one socket write; nats.js writes once per
  // microtask checkpoint that has output, and emits arrive from many).
  #turn = false
  readonly #publishTurn = (): void => {
    this.#turn = false
    this.#pump()
  }

  constructor(
    js: JetStreamClient,
    logger: Logger,
    options: { limit: number; parallel: number; timeout: number; onAck?: (ack: OutboxAck) => void },
  ) {
    this.#js = js
    this.#logger = logger
    this.#limit = options.limit
    this.#parallel = options.parallel
    this.#timeout = options.timeout
    this.#onAck = options.onAck
  }

  /** Events not yet acknowledged (queued or in flight). */
  get pending(): number {
    return this.#queue.length - this.#head + this.#inFlight
  }

  /** Queues an event; OVERLOADED (retryable) when the outbox is full or closed. */
  add(entry: OutboxEntry): void {
    if (this.#closed || this.pending >= this.#limit) {
      throw new PlexusError(
        'OVERLOADED',
        this.#closed
          ? 'durable events: the outbox is closed (the kernel is stopping)'
          : `durable events: the outbox holds ${this.#limit} unacknowledged events`,
        { retryable: true, data: { limit: this.#limit, subject: entry.subject } },
      )
    }
    this.#queue.push(entry)
    if (this.#turn) return
    this.#turn = true
    setImmediate(this.#publishTurn)
  }

  /** Resolves once every event added so far is acknowledged. */
  flushed(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Refuses new events and waits up to `ms` for the rest; answers how many were left. */
  drain(ms: number): Promise<number> {
    this.#closed = true
    return this.settled(ms)
  }

  /** Waits up to `ms` for every event added so far; answers how many are still pending. */
  async settled(ms: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.flushed(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ])
    clearTimeout(timer)
    return this.pending
  }

  #pump(): void {
    if (this.#waiting) return
    while (this.#inFlight < this.#parallel && this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!
      this.#queue[this.#head++] = undefined as unknown as OutboxEntry
      if (this.#head === this.#queue.length) {
        this.#queue = []
        this.#head = 0
      } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      this.#inFlight++
      this.#js
        .publish(entry.subject, entry.data, {
          msgID: entry.id,
          timeout: this.#timeout,
          ...(entry.ttl === undefined ? {} : { ttl: entry.ttl }),
        })
        .then(
          (ack) => this.#acked(entry, ack),
          (error: unknown) => this.#failed(entry, error),
        )
    }
  }

  #acked(entry: OutboxEntry, ack: PubAck): void {
    this.#inFlight--
    this.#pause = 0
    this.stats.published++
    if (ack.duplicate) this.stats.duplicates++
    try {
      this.#onAck?.({
        id: entry.id,
        subject: entry.subject,
        seq: ack.seq,
        duplicate: ack.duplicate,
      })
    } catch (error) {
      this.#logger.warn({ err: error }, 'onPublished threw')
    }
    this.#settle()
  }

  #failed(entry: OutboxEntry, error: unknown): void {
    this.#inFlight--
    this.stats.retries++
    // Back to the front: a retry keeps its place before later events where it can.
    if (this.#head > 0) this.#queue[--this.#head] = entry
    else this.#queue.unshift(entry)
    this.#pause = Math.min(1000, Math.max(20, this.#pause * 2))
    if (this.#pause >= 1000)
      this.#logger.warn({ err: error, pending: this.pending }, 'Durable event publish failing')
    if (this.#waiting) return
    this.#waiting = true
    setTimeout(() => {
      this.#waiting = false
      this.#pump()
    }, this.#pause).unref()
  }

  #settle(): void {
    this.#pump()
    if (this.pending > 0) return
    const idle = this.#idle
    this.#idle = []
    for (const resolve of idle) resolve()
  }
}
