import { PlexusError } from '@plexus/kernel'

/** Why a token was refused, as `UNAUTHORIZED`'s `data.reason`. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'signature'
  | 'alg'
  | 'unknown-kid'
  | `claim:${string}`

/** An `UNAUTHORIZED` error naming the reason. */
export function unauthorized(reason: AuthFailureReason, message: string): PlexusError {
  return new PlexusError('UNAUTHORIZED', message, { data: { reason } })
}

/** Maps a jose failure to `UNAUTHORIZED` (bad token) or `UNAVAILABLE` (key set unreachable). */
export function fromJose(error: unknown): PlexusError {
  if (error instanceof PlexusError) return error
  const { code, claim } = error as { code?: unknown; claim?: unknown }
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return unauthorized('expired', 'The token has expired')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return unauthorized('not-yet-valid', 'The token is not valid yet')
      return unauthorized(
        `claim:${String(claim)}`,
        `The token's '${String(claim)}' claim is not accepted`,
      )
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthorized('signature', 'The token signature does not verify')
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return unauthorized('alg', 'The token algorithm is not allowed')
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return unauthorized('unknown-kid', 'No trusted key matches the token')
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return unauthorized('malformed', 'The token is malformed')
    case 'ERR_JWKS_TIMEOUT':
      return new PlexusError('UNAVAILABLE', 'The key set did not answer in time', {
        data: { reason: 'jwks-timeout' },
      })
    case 'ERR_JWKS_INVALID':
      return new PlexusError('UNAVAILABLE', 'The key set answered with an invalid document', {
        data: { reason: 'jwks-invalid' },
      })
    default:
      if (typeof code === 'string' && code.startsWith('ERR_J')) {
        return unauthorized('malformed', `The token is not accepted (${code})`)
      }
      // fetch failures (refused, reset) reach here: the key set is unreachable, not the token bad.
      return new PlexusError('UNAVAILABLE', 'The key set could not be fetched', {
        cause: error,
        data: { reason: 'jwks-unreachable' },
      })
  }
}
