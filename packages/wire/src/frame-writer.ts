import type { Envelope } from './envelope.js'
import type { PreparedEnvelope } from './envelope-encoder.js'
import { prepareEnvelope, writeFrame } from './envelope-encoder.js'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'

/** Options of a FrameWriter. */
export interface FrameWriterOptions {
  /** Largest frame the peer accepts; a bigger envelope is refused at `write`. Default 16 MiB. */
  maxFrameSize?: number
  /** Runs `flush` later; default `setImmediate`: after the current I/O callback and its microtasks. */
  schedule?: (flush: () => void) => void
  /**
   * Frames past which `write` flushes at once instead of waiting for the end of the tick, so the
   * peer starts on the head of a burst while this side still encodes its tail. Default 16.
   */
  batchFrames?: number
  /**
   * Receives what a flush started by `write` or the schedule threw (the sink failed); without it
   * the error is rethrown. A direct `flush()` call always throws to its caller.
   */
  onError?: (error: unknown) => void
}

/** Pending bytes (upper bound) past which `write` flushes at once instead of waiting. */
const FLUSH_AT = 1024 * 1024

/**
 * Frames per write under load. At 100 calls in flight, a whole tick's burst in one write keeps
 * the two processes in lock-step (one encodes while the other waits, each ~60 % idle in CPU
 * profiles); writing every 16 frames lets them overlap on two cores. Measured at c100 over the
 * child-process link: about 2x the calls/s of a once-per-tick writer; 8, 16 and 24 were within
 * noise of each other, 64 gave back most of the gain.
 */
const DEFAULT_BATCH_FRAMES = 16

/**
 * Encodes envelopes into frames and hands the frames written within one tick to `sink` as one
 * Buffer: one write, one syscall, per tick instead of one per frame; a burst longer than
 * `batchFrames` leaves in writes of that many frames, so the peer can start on it sooner.
 */
export class FrameWriter {
  readonly #sink: (chunk: Buffer) => unknown
  readonly #maxFrameSize: number
  readonly #schedule: (flush: () => void) => void
  readonly #onError: ((error: unknown) => void) | undefined
  readonly #batchFrames: number
  #pending: PreparedEnvelope[] = []
  #bound = 0
  #scheduled = false
  #closed = false
  readonly #scheduledFlush = (): void => {
    this.#scheduled = false
    this.#flushReporting()
  }

  constructor(sink: (chunk: Buffer) => unknown, options: FrameWriterOptions = {}) {
    this.#sink = sink
    const limits: Partial<WireLimits> = {}
    if (options.maxFrameSize !== undefined) limits.maxFrameSize = options.maxFrameSize
    this.#maxFrameSize = resolveLimits(limits).maxFrameSize
    this.#schedule = options.schedule ?? setImmediate
    this.#onError = options.onError
    this.#batchFrames = options.batchFrames ?? DEFAULT_BATCH_FRAMES
  }

  /** Frames queued for the next flush. */
  get pendingFrames(): number {
    return this.#pending.length
  }

  /**
   * Queues an envelope for this tick's write and returns its frame's size in bytes: never less,
   * up to about 3x more for small frames, within 16 bytes above 64 KiB; 0 after `close`.
   * Throws PROTOCOL (`unserializable`, `frame-too-large`, with `data.id`) for one that cannot be
   * sent; nothing is queued then.
   */
  write(envelope: Envelope): number {
    if (this.#closed) return 0
    const prepared = prepareEnvelope(envelope, this.#maxFrameSize)
    this.#pending.push(prepared)
    this.#bound += prepared.bound
    if (this.#bound >= FLUSH_AT || this.#pending.length >= this.#batchFrames) {
      this.#flushReporting()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      this.#schedule(this.#scheduledFlush)
    }
    return prepared.bound
  }

  /** Hands every queued frame to the sink now, as one Buffer. */
  flush(): void {
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    const chunk = Buffer.allocUnsafe(this.#bound)
    this.#bound = 0
    let offset = 0
    for (let i = 0; i < pending.length; i++) {
      offset = writeFrame(chunk, offset, pending[i] as PreparedEnvelope)
    }
    this.#sink(offset === chunk.length ? chunk : chunk.subarray(0, offset))
  }

  /**
   * A flush `write` or the schedule started: a failing sink goes to `onError` (the link is
   * broken, every exchange on it ends there), not to whichever caller's write filled the batch.
   */
  #flushReporting(): void {
    if (this.#onError === undefined) return this.flush()
    try {
      this.flush()
    } catch (error) {
      this.#onError(error)
    }
  }

  /** Stops writing: queued frames are dropped (call `flush` first to keep them). */
  close(): void {
    this.#closed = true
    this.#pending = []
    this.#bound = 0
  }
}
