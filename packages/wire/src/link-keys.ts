import { readFileSync } from 'node:fs'
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { PlexusError } from '@plexus/kernel'

/**
 * An Ed25519 key as configuration gives it: a PEM text, a JWK (`{ kty: 'OKP', crv: 'Ed25519',
 * x, d? }`), a `KeyObject`, or `{ file }` naming a PEM or JWK file read once.
 */
export type KeyInput = string | JsonWebKey | KeyObject | { readonly file: string }

/** A peer's public key and, optionally, the one name (node id, host) it may speak for. */
export interface TrustedKey {
  readonly key: KeyObject
  /** The peer's HELLO `name` this key is valid for; absent: any name. */
  readonly name: string | undefined
  /** Its id: what a proof names (see `keyIdOf`). */
  readonly id: string
}

/** The trusted public keys of the peers, by key id (several at once during a rotation). */
export type KeyRing = ReadonlyMap<string, TrustedKey>

/**
 * A key's id: the first 16 bytes of SHA-256 over its raw 32-byte public key, base64url. A proof
 * names the id so the verifier finds the key in one lookup, however many keys overlap.
 */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  return createHash('sha256').update(raw).digest().subarray(0, 16).toString('base64url')
}

/** Reads an Ed25519 private key (this side's identity); INVALID_CONFIG naming `key` otherwise. */
export function privateKeyOf(input: KeyInput, key: string): KeyObject {
  return ed25519(input, key, 'private')
}

/** Reads an Ed25519 public key (a private one gives its public half). */
export function publicKeyOf(input: KeyInput, key: string): KeyObject {
  const read = ed25519(input, key, 'any')
  return read.type === 'private' ? createPublicKey(read) : read
}

/** Builds the key ring from configuration: `[{ key, name? }]`; INVALID_CONFIG naming the entry. */
export function keyRingOf(
  entries: readonly { readonly key: KeyInput; readonly name?: string | undefined }[],
  key: string,
): KeyRing {
  if (!Array.isArray(entries)) throw invalid(key, 'a list of { key, name? }', typeof entries)
  const ring = new Map<string, TrustedKey>()
  entries.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object' || !('key' in entry)) {
      throw invalid(`${key}[${i}]`, '{ key, name? }', typeof entry)
    }
    const publicKey = publicKeyOf(entry.key, `${key}[${i}].key`)
    if (entry.name !== undefined && typeof entry.name !== 'string') {
      throw invalid(`${key}[${i}].name`, 'a string', typeof entry.name)
    }
    const id = keyIdOf(publicKey)
    ring.set(id, { key: publicKey, name: entry.name, id })
  })
  return ring
}

function ed25519(input: KeyInput, key: string, want: 'private' | 'any'): KeyObject {
  let value: unknown = input
  if (isFile(value)) {
    const file = value.file
    try {
      value = readFileSync(file, 'utf8')
    } catch (error) {
      throw invalid(key, 'a readable key file', file, error)
    }
    const text = (value as string).trim()
    if (text.startsWith('{')) value = JSON.parse(text) as JsonWebKey
  }
  let keyObject: KeyObject
  try {
    if (isKeyObject(value)) keyObject = value
    else if (typeof value === 'string') {
      keyObject = /PRIVATE KEY/.test(value)
        ? createPrivateKey(value)
        : want === 'private'
          ? createPrivateKey(value)
          : createPublicKey(value)
    } else if (value !== null && typeof value === 'object') {
      const jwk = value as JsonWebKey
      keyObject =
        jwk.d !== undefined
          ? createPrivateKey({ key: jwk, format: 'jwk' })
          : createPublicKey({ key: jwk, format: 'jwk' })
    } else throw new Error(`a ${typeof value}`)
  } catch (error) {
    throw invalid(key, 'an Ed25519 key (PEM, JWK, KeyObject or { file })', describe(value), error)
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') {
    throw invalid(key, 'an Ed25519 key', keyObject.asymmetricKeyType ?? keyObject.type)
  }
  if (want === 'private' && keyObject.type !== 'private') {
    throw invalid(key, 'an Ed25519 private key', `a ${keyObject.type} key`)
  }
  return keyObject
}

function isFile(value: unknown): value is { file: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { file?: unknown }).file === 'string'
  )
}

function isKeyObject(value: unknown): value is KeyObject {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as KeyObject).export === 'function' &&
    typeof (value as KeyObject).type === 'string'
  )
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`
  return value === null ? 'null' : typeof value
}

function invalid(key: string, expected: string, seen: string, cause?: unknown): PlexusError {
  return new PlexusError('INVALID_CONFIG', `${key}: expected ${expected}, got ${seen}`, {
    data: { key, expected },
    ...(cause === undefined ? {} : { cause }),
  })
}
