import type { Envelope } from './envelope.js'
import type { PreparedEnvelope } from './envelope-encoder.js'
import { prepareEnvelope, writeFrame } from './envelope-encoder.js'
import type { FrameWriterOptions } from './frame-writer.js'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'

const HEADER = 4
/** Envelopes past which `write` hands the batch over at once instead of at the end of the tick. */
const DEFAULT_BATCH = 16

/**
 * The message-transport counterpart of FrameWriter: envelopes written within one tick reach
 * `sink` together, each as its own body (no length prefix: the transport frames messages), so
 * a WebSocket or MessagePort can send them in one corked burst.
 */
export class MessageWriter {
  readonly #sink: (messages: Buffer[]) => unknown
  readonly #maxFrameSize: number
  readonly #schedule: (flush: () => void) => void
  readonly #onError: ((error: unknown) => void) | undefined
  readonly #batch: number
  #pending: PreparedEnvelope[] = []
  #scheduled = false
  #closed = false
  readonly #scheduledFlush = (): void => {
    this.#scheduled = false
    this.#flushReporting()
  }

  constructor(sink: (messages: Buffer[]) => unknown, options: FrameWriterOptions = {}) {
    this.#sink = sink
    const limits: Partial<WireLimits> = {}
    if (options.maxFrameSize !== undefined) limits.maxFrameSize = options.maxFrameSize
    this.#maxFrameSize = resolveLimits(limits).maxFrameSize
    this.#schedule = options.schedule ?? setImmediate
    this.#onError = options.onError
    this.#batch = options.batchFrames ?? DEFAULT_BATCH
  }

  /**
   * Queues an envelope and returns its size bound in bytes (0 after `close`). Throws PROTOCOL
   * (`unserializable`, `frame-too-large`) for one that cannot be sent; nothing is queued then.
   */
  write(envelope: Envelope): number {
    if (this.#closed) return 0
    const prepared = prepareEnvelope(envelope, this.#maxFrameSize)
    this.#pending.push(prepared)
    if (this.#pending.length >= this.#batch) this.#flushReporting()
    else if (!this.#scheduled) {
      this.#scheduled = true
      this.#schedule(this.#scheduledFlush)
    }
    return prepared.bound
  }

  /** Hands every queued envelope to the sink now. */
  flush(): void {
    const pending = this.#pending
    if (pending.length === 0) return
    this.#pending = []
    const messages: Buffer[] = new Array<Buffer>(pending.length)
    for (let i = 0; i < pending.length; i++) {
      const prepared = pending[i] as PreparedEnvelope
      const target = Buffer.allocUnsafe(prepared.bound)
      const end = writeFrame(target, 0, prepared)
      messages[i] = target.subarray(HEADER, end)
    }
    this.#sink(messages)
  }

  #flushReporting(): void {
    if (this.#onError === undefined) return this.flush()
    try {
      this.flush()
    } catch (error) {
      this.#onError(error)
    }
  }

  /** Stops writing: queued envelopes are dropped (call `flush` first to keep them). */
  close(): void {
    this.#closed = true
    this.#pending = []
  }
}
