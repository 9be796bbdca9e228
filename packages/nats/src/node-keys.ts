import type { KeyObject } from 'node:crypto'
import { PlexusError } from '@plexus/kernel'
import { keyRingOf, privateKeyOf, type KeyInput, type KeyRing } from '@plexus/wire'

/** A node's public key in the cluster's trusted list; `node` binds it to that node id. */
export interface TrustedNodeKey {
  key: KeyInput
  /** The node id this key may speak for (absent: any node of the namespace). */
  node?: string
}

/** The link-security options of the nats plug-in (docs/security.md, "The link layer"). */
export interface NodeKeyOptions {
  /** This node's Ed25519 private key: it signs the challenge of every peer's HELLO. */
  identity?: KeyInput
  /** The nodes' public keys; with `identity`, every node link is proven and MACed. */
  trustedKeys?: readonly TrustedNodeKey[]
}

/**
 * The node's identity and the keys it trusts, read by each new link when it opens: a rotation
 * (`rotate`) changes what new links prove and accept, while links already proven keep the MAC
 * keys they agreed (ephemeral, per link), so no call in flight fails.
 */
export class NodeKeys {
  #identity: KeyObject
  #trust: KeyRing

  private constructor(identity: KeyObject, trust: KeyRing) {
    this.#identity = identity
    this.#trust = trust
  }

  /** The keys from the options, or undefined when link security is off (neither given). */
  static of(options: NodeKeyOptions): NodeKeys | undefined {
    if (options.identity === undefined && options.trustedKeys === undefined) return undefined
    if (options.identity === undefined || options.trustedKeys === undefined) {
      throw new PlexusError(
        'INVALID_CONFIG',
        'nats.identity and nats.trustedKeys go together: a node that proves itself also checks its peers',
        { data: { key: options.identity === undefined ? 'nats.identity' : 'nats.trustedKeys' } },
      )
    }
    return new NodeKeys(
      privateKeyOf(options.identity, 'nats.identity'),
      ringOf(options.trustedKeys),
    )
  }

  /** This node's private key now. */
  get identity(): KeyObject {
    return this.#identity
  }

  /** The trusted public keys now. */
  get trust(): KeyRing {
    return this.#trust
  }

  /** Replaces the identity and/or the trusted list for links opened from now on. */
  rotate(options: NodeKeyOptions): void {
    const identity =
      options.identity === undefined ? undefined : privateKeyOf(options.identity, 'nats.identity')
    const trust = options.trustedKeys === undefined ? undefined : ringOf(options.trustedKeys)
    if (identity !== undefined) this.#identity = identity
    if (trust !== undefined) this.#trust = trust
  }
}

function ringOf(entries: readonly TrustedNodeKey[]): KeyRing {
  if (!Array.isArray(entries)) {
    throw new PlexusError('INVALID_CONFIG', 'nats.trustedKeys: expected a list of { key, node? }', {
      data: { key: 'nats.trustedKeys' },
    })
  }
  return keyRingOf(
    entries.map((entry) => ({ key: entry?.key as KeyInput, name: entry?.node })),
    'nats.trustedKeys',
  )
}
