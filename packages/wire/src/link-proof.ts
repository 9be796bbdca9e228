import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import { PlexusError } from '@plexus/kernel'
import type { HelloEnvelope } from './envelope.js'
import type { LinkSide } from './id-sequence.js'
import { keyIdOf, type KeyRing, type TrustedKey } from './link-keys.js'

/** What a proof carries (the input of the `link.$proof` request): the key id and the signature. */
export interface ProofBody {
  key: string
  sig: string
}

/** The per-direction MAC keys a keyed link agreed on (HMAC-SHA256, 32 bytes each). */
export interface LinkKeys {
  readonly send: Buffer
  readonly receive: Buffer
}

/** How one side of one link proves itself and checks its peer (docs/protocol.md §5.3). */
export interface LinkProofOptions {
  /** This side's Ed25519 private key: it signs the peer's challenge. Absent: it proves nothing. */
  identity?: KeyObject | undefined
  /** The peers' trusted public keys: when given, the peer must prove itself with one of them. */
  trust?: KeyRing | undefined
  /** Agree per-link MAC keys with an ephemeral X25519 exchange bound into both proofs. */
  keyed?: boolean
  /** The name the peer's HELLO must carry (a node id known from elsewhere); absent: any. */
  peerName?: string | undefined
}

const LABEL = 'plexus-link-proof-v1'
const MAC_INFO = 'plexus-link-mac-v1'

/**
 * One link's challenge–response: this side's HELLO carries a fresh `challenge` (when it wants a
 * proof) and, on keyed links, an ephemeral X25519 public key `kx`; once the peer's HELLO is in,
 * this side signs a transcript naming both sides, the peer's challenge and both `kx` (so nobody
 * can replay the proof on another link or swap the key exchange), and checks the peer's proof
 * against the trusted keys. Failures are UNAUTHORIZED with `data.reason`.
 */
export class LinkProof {
  readonly challenge: string | undefined
  readonly #identity: KeyObject | undefined
  readonly #keyId: string | undefined
  readonly #trust: KeyRing | undefined
  readonly #peerName: string | undefined
  readonly #kx: { privateKey: KeyObject; publicKey: string } | undefined
  #keys: LinkKeys | undefined

  constructor(options: LinkProofOptions) {
    this.#identity = options.identity
    this.#keyId = options.identity === undefined ? undefined : keyIdOf(options.identity)
    this.#trust = options.trust
    this.#peerName = options.peerName
    this.challenge = options.trust === undefined ? undefined : randomBytes(32).toString('base64url')
    if (options.keyed === true) {
      const pair = generateKeyPairSync('x25519')
      const x = pair.publicKey.export({ format: 'jwk' }).x ?? ''
      this.#kx = { privateKey: pair.privateKey, publicKey: x }
    }
  }

  /** Whether the peer must send a proof before anything else. */
  get required(): boolean {
    return this.#trust !== undefined
  }

  /** The MAC keys, once the peer's HELLO arrived on a keyed link. */
  get keys(): LinkKeys | undefined {
    return this.#keys
  }

  /** Adds this side's `challenge` and `kx` to its HELLO. */
  hello(hello: HelloEnvelope): HelloEnvelope {
    const out = { ...hello }
    if (this.challenge !== undefined) out.challenge = this.challenge
    if (this.#kx !== undefined) out.kx = this.#kx.publicKey
    return out
  }

  /**
   * The peer's HELLO arrived: agrees the MAC keys (keyed links) and returns this side's proof
   * when the peer asked for one and this side has an identity. Throws UNAUTHORIZED
   * (`missing-proof`) when a keyed link's peer offers no key exchange.
   */
  answer(own: HelloEnvelope, peer: HelloEnvelope, side: LinkSide): ProofBody | undefined {
    if (this.#kx !== undefined) {
      this.#keys = this.#agree(own, peer, side)
      // Nothing this peer sends could be authenticated: refuse it now, not at the first MAC.
      if (this.#keys === undefined && this.#trust !== undefined) {
        throw refused('missing-proof', `Peer '${String(peer.name)}' offered no usable key exchange`)
      }
    }
    if (this.#identity === undefined || typeof peer.challenge !== 'string') return undefined
    const signature = sign(null, transcript(own, peer), this.#identity)
    return { key: this.#keyId!, sig: signature.toString('base64url') }
  }

  /**
   * Checks the peer's proof and returns the trusted key it was made with; throws UNAUTHORIZED
   * (`data.reason`) when it does not hold.
   */
  check(own: HelloEnvelope, peer: HelloEnvelope, input: unknown): TrustedKey | undefined {
    const trust = this.#trust
    if (trust === undefined) return undefined
    const name = peer.name
    if (this.#peerName !== undefined && name !== this.#peerName) {
      throw refused(
        'wrong-name',
        `The peer says it is '${String(name)}', expected '${this.#peerName}'`,
      )
    }
    const body = input as Partial<ProofBody> | undefined
    if (
      body === null ||
      typeof body !== 'object' ||
      typeof body.key !== 'string' ||
      typeof body.sig !== 'string'
    ) {
      throw refused('missing-proof', `Peer '${String(name)}' sent no proof of identity`)
    }
    const trusted = trust.get(body.key)
    if (trusted === undefined) {
      throw refused(
        'unknown-key',
        `Peer '${String(name)}' signed with key '${body.key}', which is not trusted`,
      )
    }
    if (trusted.name !== undefined && trusted.name !== name) {
      throw refused(
        'wrong-name',
        `Key '${body.key}' is trusted for '${trusted.name}', not for '${String(name)}'`,
      )
    }
    if (this.#kx !== undefined && typeof peer.kx !== 'string') {
      throw refused('missing-proof', `Peer '${String(name)}' offered no key exchange`)
    }
    let ok: boolean
    try {
      ok = verify(null, transcript(peer, own), trusted.key, Buffer.from(body.sig, 'base64url'))
    } catch {
      ok = false
    }
    if (!ok) throw refused('bad-signature', `Peer '${String(name)}' failed its challenge`)
    return trusted
  }

  #agree(own: HelloEnvelope, peer: HelloEnvelope, side: LinkSide): LinkKeys | undefined {
    if (typeof peer.kx !== 'string' || this.#kx === undefined) return undefined
    let shared: Buffer
    try {
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: peer.kx },
        format: 'jwk',
      })
      shared = diffieHellman({ privateKey: this.#kx.privateKey, publicKey })
    } catch {
      return undefined // A malformed kx: no keys, so nothing from this peer will verify.
    }
    const [first, second] = side === 'initiator' ? [own, peer] : [peer, own]
    const salt = `${first.challenge ?? ''}.${second.challenge ?? ''}`
    const material = Buffer.from(hkdfSync('sha256', shared, salt, MAC_INFO, 64))
    const toAcceptor = material.subarray(0, 32)
    const toInitiator = material.subarray(32, 64)
    return side === 'initiator'
      ? { send: toAcceptor, receive: toInitiator }
      : { send: toInitiator, receive: toAcceptor }
  }
}

/**
 * What a signer signs: the label, its role and name, the verifier's name, the verifier's
 * challenge, its own challenge and both key-exchange keys, NUL-separated.
 */
function transcript(signer: HelloEnvelope, verifier: HelloEnvelope): Buffer {
  return Buffer.from(
    [
      LABEL,
      signer.role,
      signer.name ?? '',
      verifier.name ?? '',
      verifier.challenge ?? '',
      signer.challenge ?? '',
      signer.kx ?? '',
      verifier.kx ?? '',
    ].join('\0'),
  )
}

function refused(reason: string, message: string): PlexusError {
  return new PlexusError('UNAUTHORIZED', message, { data: { reason } })
}
