import type { Envelope, HelloEnvelope, Role } from './envelope.js'
import { EnvelopeType } from './envelope.js'
import type { ServiceManifest } from './manifest.js'
import { protocolError } from './protocol-error.js'
import { SUPPORTED_VERSIONS } from './version.js'

/** What a side says about itself in its HELLO. */
export interface HelloInit {
  role: Role
  services?: ServiceManifest[]
  name?: string
  /** Versions to offer; default every version this package supports. */
  versions?: readonly number[]
  /** The largest frame body this side accepts (announced so the peer never sends a bigger one). */
  maxFrameSize?: number
  /** A credential, for a kernel that asks hosts for one. */
  token?: string
  /** Optional behaviours this side speaks (HELLO `features`); a peer uses one only when named. */
  features?: readonly string[]
}

/** Builds the HELLO a side sends first on a new link. */
export function createHello(init: HelloInit): HelloEnvelope {
  const hello: HelloEnvelope = {
    t: EnvelopeType.HELLO,
    versions: [...(init.versions ?? SUPPORTED_VERSIONS)],
    role: init.role,
    services: init.services ?? [],
  }
  if (init.name !== undefined) hello.name = init.name
  if (init.maxFrameSize !== undefined) hello.maxFrameSize = init.maxFrameSize
  if (init.token !== undefined) hello.token = init.token
  if (init.features !== undefined) hello.features = [...init.features]
  return hello
}

/** The outcome of a handshake: the peer's HELLO and the version both sides now speak. */
export interface Handshake {
  version: number
  peer: HelloEnvelope
}

/**
 * Checks the first envelope received on a link: it must be a HELLO sharing a version with
 * `supported`; the highest shared version wins. Throws PROTOCOL (`handshake`) otherwise, naming
 * the versions seen and supported; the link then sends ERROR id 0 and closes.
 */
export function acceptHello(
  envelope: Envelope,
  supported: readonly number[] = SUPPORTED_VERSIONS,
): Handshake {
  if (envelope.t !== EnvelopeType.HELLO) {
    throw protocolError(
      'handshake',
      `Expected HELLO (t=1) as the first envelope on the link, got t=${envelope.t}`,
      { t: envelope.t },
    )
  }
  let version = 0
  for (const v of envelope.versions) if (v > version && supported.includes(v)) version = v
  if (version === 0) {
    throw protocolError(
      'handshake',
      `No common protocol version: the peer speaks ${envelope.versions.join(', ')}; this side speaks ${supported.join(', ')}`,
      { seen: [...envelope.versions], supported: [...supported] },
    )
  }
  return { version, peer: envelope }
}
