import { isPlexusError, PlexusError } from '@plexus/kernel'

// No CONFLICT code exists in the kernel's table yet, so a conflict is INVALID_STATE with a
// marker in `data`; `isRevisionConflict` is the one way to recognise it.
const CONFLICT = 'revision'

/** What a revision conflict carries in `data`. */
export interface RevisionConflictData {
  /** Always `revision`. */
  conflict: 'revision'
  /** The key written. */
  key: string
  /** The revision the writer expected (0 = absent). */
  expected: number
  /** The revision found, when the store says (0 = absent). */
  actual?: number
}

/** The error a stale compare-and-set is refused with. */
export function revisionConflict(key: string, expected: number, actual?: number): PlexusError {
  const found = actual === undefined ? '' : `, found ${actual === 0 ? 'none' : actual}`
  const data: RevisionConflictData = {
    conflict: CONFLICT,
    key,
    expected,
    ...(actual === undefined ? {} : { actual }),
  }
  return new PlexusError(
    'INVALID_STATE',
    `kv: '${key}' changed since revision ${expected === 0 ? '0 (absent)' : expected}${found}; read it again`,
    { data },
  )
}

/** True when `error` is a refused compare-and-set (it survives every link as data). */
export function isRevisionConflict(error: unknown): error is PlexusError {
  return (
    isPlexusError(error) &&
    error.code === 'INVALID_STATE' &&
    (error.data as { conflict?: unknown } | undefined)?.conflict === CONFLICT
  )
}

/** The error a store that cannot be reached answers with (retryable). */
export function storeUnavailable(kind: string, why: string, cause?: unknown): PlexusError {
  return new PlexusError('UNAVAILABLE', `kv ${kind} store is unavailable: ${why}`, {
    retryable: true,
    data: { store: kind },
    ...(cause === undefined ? {} : { cause }),
  })
}
