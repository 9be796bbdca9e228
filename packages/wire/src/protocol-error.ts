import { PlexusError } from '@plexus/kernel'

/** Every reason a PROTOCOL error from this package can give; docs/protocol.md §11 lists them. */
export const PROTOCOL_REASONS = [
  'frame-too-large',
  'truncated',
  'empty-frame',
  'version',
  'type',
  'shape',
  'utf8',
  'json',
  'too-deep',
  'proto-key',
  'handshake',
  'unserializable',
] as const

/** Why a frame or envelope was refused: `error.data.reason` of every PROTOCOL error from this package. */
export type ProtocolReason = (typeof PROTOCOL_REASONS)[number]

/** Builds the PROTOCOL error every wire violation becomes; `detail` joins `reason` in `data`. */
export function protocolError(
  reason: ProtocolReason,
  message: string,
  detail?: Record<string, unknown>,
): PlexusError {
  return new PlexusError('PROTOCOL', message, { data: { reason, ...detail } })
}
