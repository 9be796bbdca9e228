import type { PlexusError } from '@plexus/kernel'
import type { WireLimits } from './limits.js'
import { resolveLimits } from './limits.js'
import { protocolError } from './protocol-error.js'

const HEADER = 4

/**
 * Splits a byte stream into frames (4-byte big-endian length, then that many bytes), fed
 * chunks split and coalesced arbitrarily. A declared length above `maxFrameSize` is refused
 * as soon as its 4 bytes arrive, before anything is allocated for it. After the first error
 * the decoder is failed for good: every later `push` throws the same error, and the owner
 * must close the link, since the byte stream can no longer be trusted to be in step.
 */
export class FrameDecoder {
  readonly #maxFrameSize: number
  /** Bytes of an incomplete header (while #expected < 0) or frame body, as received. */
  #parts: Buffer[] = []
  #partsLength = 0
  /** Declared body length of the frame being assembled, or -1 while its header is incomplete. */
  #expected = -1
  #error: PlexusError | undefined

  constructor(limits?: Partial<Pick<WireLimits, 'maxFrameSize'>>) {
    this.#maxFrameSize = resolveLimits(limits).maxFrameSize
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.#partsLength
  }

  /** The error that failed this decoder, if any. */
  get error(): PlexusError | undefined {
    return this.#error
  }

  /**
   * Takes the next chunk and returns the frame bodies it completes, in order (views into the
   * chunks, not copies). Throws PROTOCOL on a framing violation.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#error !== undefined) throw this.#error
    const frames: Buffer[] = []
    let data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.#partsLength > 0 || this.#expected >= 0) {
      data = this.#resume(data, frames)
      if (data.length === 0) return frames
    }
    let offset = 0
    const end = data.length
    while (end - offset >= HEADER) {
      const size = data.readUInt32BE(offset)
      this.#checkSize(size)
      const start = offset + HEADER
      if (end - start < size) {
        this.#expected = size
        this.#keep(data.subarray(start))
        return frames
      }
      frames.push(data.subarray(start, start + size))
      offset = start + size
    }
    this.#keep(data.subarray(offset))
    return frames
  }

  /**
   * Declares the stream finished (socket closed). Throws PROTOCOL `truncated` when a partial
   * header or frame is left over.
   */
  end(): void {
    if (this.#error !== undefined) throw this.#error
    if (this.#partsLength > 0 || this.#expected >= 0) {
      const left = this.#partsLength
      this.#parts = []
      this.#partsLength = 0
      this.#fail(
        protocolError(
          'truncated',
          `Stream ended inside a frame: ${left} bytes of an incomplete ${this.#expected < 0 ? 'header' : 'frame'}`,
          { buffered: left },
        ),
      )
    }
  }

  /** Completes the pending header and frame from `data`; returns what is left of `data`. */
  #resume(data: Buffer, frames: Buffer[]): Buffer {
    if (this.#expected < 0) {
      const missing = HEADER - this.#partsLength
      if (data.length < missing) {
        this.#keep(data)
        return data.subarray(data.length)
      }
      const header = Buffer.concat([...this.#parts, data.subarray(0, missing)], HEADER)
      data = data.subarray(missing)
      const size = header.readUInt32BE(0)
      this.#checkSize(size)
      this.#parts = []
      this.#partsLength = 0
      if (data.length >= size) {
        frames.push(data.subarray(0, size))
        return data.subarray(size)
      }
      this.#expected = size
      this.#keep(data)
      return data.subarray(data.length)
    }
    const missing = this.#expected - this.#partsLength
    if (data.length < missing) {
      this.#keep(data)
      return data.subarray(data.length)
    }
    this.#parts.push(data.subarray(0, missing))
    frames.push(Buffer.concat(this.#parts, this.#expected))
    this.#parts = []
    this.#partsLength = 0
    this.#expected = -1
    return data.subarray(missing)
  }

  #keep(data: Buffer): void {
    if (data.length === 0) return
    this.#parts.push(data)
    this.#partsLength += data.length
  }

  #checkSize(size: number): void {
    if (size > this.#maxFrameSize) {
      this.#fail(
        protocolError(
          'frame-too-large',
          `Frame declares ${size} bytes; the limit is ${this.#maxFrameSize}`,
          { size, maxFrameSize: this.#maxFrameSize },
        ),
      )
    }
  }

  #fail(error: PlexusError): never {
    this.#error = error
    this.#expected = -1
    this.#parts = []
    this.#partsLength = 0
    throw error
  }
}
