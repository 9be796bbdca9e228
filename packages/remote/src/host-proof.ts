import type { KeyObject } from 'node:crypto'
import {
  EnvelopeType,
  FrameDecoder,
  LinkProof,
  PROOF_ADDRESS,
  decodeEnvelope,
  encodeEnvelope,
  encodeFrame,
  type Envelope,
  type HelloEnvelope,
  type RequestEnvelope,
} from '@plexus/wire'

/**
 * A host's proof of identity (docs/protocol.md §5.3), added on its transport: it reads the
 * host's own HELLO as it goes out and the kernel's HELLO as it comes in, and once both are known
 * writes the `link.$proof` request — the host's Ed25519 signature over the kernel's fresh
 * challenge — right after the host's HELLO. The served definition's session is unchanged.
 */
export class HostProver {
  readonly #proof: LinkProof
  readonly #framed: boolean
  readonly #emit: (bytes: Buffer) => void
  readonly #in = new FrameDecoder()
  readonly #out = new FrameDecoder()
  #own: HelloEnvelope | undefined
  #kernel: HelloEnvelope | undefined
  #done = false

  /** `framed`: a byte stream (frames with their length prefix) rather than one message each. */
  constructor(identity: KeyObject, framed: boolean, emit: (bytes: Buffer) => void) {
    this.#proof = new LinkProof({ identity })
    this.#framed = framed
    this.#emit = emit
  }

  /** Bytes (or one message) the host just wrote. */
  sent(data: Buffer): void {
    if (this.#own !== undefined || this.#done) return
    this.#own = this.#hello(data, this.#out)
    this.#prove()
  }

  /** Bytes (or one message) received from the kernel, before the host's session reads them. */
  received(data: Uint8Array): void {
    if (this.#kernel !== undefined || this.#done) return
    this.#kernel = this.#hello(data, this.#in)
    this.#prove()
  }

  #hello(data: Uint8Array, decoder: FrameDecoder): HelloEnvelope | undefined {
    let envelope: Envelope | undefined
    try {
      const body = this.#framed ? decoder.push(data)[0] : data
      envelope = body === undefined ? undefined : decodeEnvelope(body)
    } catch {
      this.#done = true // Not a link we can prove on: the session refuses it itself.
      return undefined
    }
    if (envelope === undefined) return undefined // The frame is not complete yet.
    if (envelope.t === EnvelopeType.HELLO) return envelope
    this.#done = true
    return undefined
  }

  #prove(): void {
    if (this.#own === undefined || this.#kernel === undefined || this.#done) return
    this.#done = true
    const input = this.#proof.answer(this.#own, this.#kernel, 'acceptor')
    if (input === undefined) return // The kernel asked for no proof.
    const request: RequestEnvelope = {
      t: EnvelopeType.REQUEST,
      id: 0,
      kind: 'send',
      address: PROOF_ADDRESS,
      deadline: 0,
      input,
    }
    this.#emit(this.#framed ? encodeFrame(request) : encodeEnvelope(request))
  }
}
