import type { Meta } from '@plexus/kernel'
import { isMinted, mintPrincipal, PRINCIPAL_KEY, type Principal } from './principal.js'

/**
 * Re-trusts the principal a proven cluster peer asserts for a message it forwards: handed to
 * the nats plug-in (`nats({ trust: security.peers })`), which calls it only on node links whose
 * peer signed its HELLO with a trusted key and MACs every message. Without it a peer's principal
 * is dropped like any other copy this process did not mint.
 */
export interface PeerTrust {
  /** `meta` (changed in place) with its principal minted here when well-formed, else without one. */
  admit(meta: Meta): Meta
}

const MAX_TEXT = 1024
const MAX_LIST = 256
const MAX_DEPTH = 8

/**
 * The auth layer's peer trust (one per auth plug-in, never exported: whoever holds it can mint).
 * A peer resends the same principal with every request of a session, so the last one minted per
 * subject (at most `cacheSize` subjects) is reused when the copy equals it: no mint, no
 * allocation for a repeat (minting one is ~1 µs, mostly `Object.freeze` and the WeakSet).
 */
export function peerTrust(cacheSize = 10_000): PeerTrust {
  const minted = new Map<string, Principal>()
  const mint = (fields: Principal): Principal => {
    const known = minted.get(fields.sub)
    if (known !== undefined && samePrincipal(known, fields)) return known
    // Shared by every later request of the subject: frozen through, so no handler can edit it.
    const principal = mintPrincipal(deepFrozen(fields, 0))
    if (known === undefined && minted.size >= cacheSize) {
      minted.delete(minted.keys().next().value as string)
    }
    minted.set(fields.sub, principal)
    return principal
  }
  return {
    admit(meta) {
      const value = meta[PRINCIPAL_KEY]
      if (value === undefined || isMinted(value)) return meta
      const fields = principalFields(value)
      if (fields === undefined) delete meta[PRINCIPAL_KEY]
      else meta[PRINCIPAL_KEY] = mint(fields)
      return meta
    },
  }
}

function deepFrozen<T>(value: T, depth: number): T {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value
  for (const inner of Object.values(value)) deepFrozen(inner, depth + 1)
  return Object.freeze(value)
}

function samePrincipal(a: Principal, b: Principal): boolean {
  return (
    a.sub === b.sub &&
    a.tenant === b.tenant &&
    a.iss === b.iss &&
    sameJson(a.roles, b.roles, 0) &&
    sameJson(a.scopes, b.scopes, 0) &&
    sameJson(a.claims, b.claims, 0)
  )
}

// Deep equality of decoded JSON values (bounded depth: deeper is "different", so minted anew).
function sameJson(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (depth >= MAX_DEPTH) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], depth + 1)) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1))
      return false
  }
  return true
}

// The fields of a principal's plain copy, checked one by one; undefined when anything is off.
function principalFields(value: unknown): Principal | undefined {
  if (!isRecord(value)) return undefined
  const { sub, roles, scopes, tenant, iss, claims } = value
  if (!isText(sub) || sub.length === 0) return undefined
  if (!isTextList(roles) || !isTextList(scopes)) return undefined
  if (!(tenant === undefined || tenant === null || isText(tenant))) return undefined
  if (!(iss === undefined || iss === null || isText(iss))) return undefined
  if (!isRecord(claims)) return undefined
  // Decoded off the link for this message alone, so kept as they are (as the verifier does).
  return { sub, roles, scopes, tenant: tenant ?? undefined, iss: iss ?? undefined, claims }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= MAX_LIST && value.every(isText)
}
