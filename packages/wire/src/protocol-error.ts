import { PlexusError } from '@plexus/kernel'

/** Why a frame or envelope was refused; `error.data.reason` of every PROTOCOL error from this package. */
export type ProtocolReason =
  | 'frame-too-large'
  | 'truncated'
  | 'decoder-failed'
  | 'empty-frame'
  | 'version'
  | 'utf8'
  | 'json'
  | 'too-deep'
  | 'proto-key'
  | 'type'
  | 'shape'
  | 'handshake'
  | 'unserializable'

/** Builds the PROTOCOL error every wire violation becomes; `detail` joins `reason` in `data`. */
export function protocolError(
  reason: ProtocolReason,
  message: string,
  detail?: Record<string, unknown>,
): PlexusError {
  return new PlexusError('PROTOCOL', message, { data: { reason, ...detail } })
}
