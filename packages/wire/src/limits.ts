import { PlexusError } from '@plexus/kernel'

/** Bounds a receiver enforces before trusting a frame. */
export interface WireLimits {
  /** Largest frame body in bytes (the length prefix's value); default 16 MiB. */
  maxFrameSize: number
  /** Deepest nesting of objects and arrays in one envelope, the envelope itself being 1; default 100. */
  maxDepth: number
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxFrameSize: 16 * 1024 * 1024,
  maxDepth: 100,
})

/** Fills the missing limits with the defaults, refusing nonsense (negative, NaN). */
export function resolveLimits(limits?: Partial<WireLimits>): WireLimits {
  if (limits === undefined) return DEFAULT_LIMITS
  const maxFrameSize = limits.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1 || maxFrameSize > 0xffffffff) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `maxFrameSize must be an integer in 1..2^32-1, got ${maxFrameSize}`,
    )
  }
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `maxDepth must be a positive integer, got ${maxDepth}`,
    )
  }
  return { maxFrameSize, maxDepth }
}
