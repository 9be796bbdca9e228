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

/** The auth layer's peer trust (one per auth plug-in, never exported: whoever holds it can mint). */
export function peerTrust(): PeerTrust {
  return {
    admit(meta) {
      const value = meta[PRINCIPAL_KEY]
      if (value === undefined || isMinted(value)) return meta
      const fields = principalFields(value)
      if (fields === undefined) delete meta[PRINCIPAL_KEY]
      else meta[PRINCIPAL_KEY] = mintPrincipal(fields)
      return meta
    },
  }
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
  return {
    sub,
    roles: Object.freeze([...roles]),
    scopes: Object.freeze([...scopes]),
    tenant: tenant ?? undefined,
    iss: iss ?? undefined,
    claims: Object.freeze({ ...claims }),
  }
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
