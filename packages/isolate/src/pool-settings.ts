import { PlexusError } from '@plexus/kernel'

/**
 * An autoscaled pool, the setting `instances: { min, max }` of a worker or process service. The
 * kernel makes `max` instance slots (`add(..., { instances: max })`); the pool keeps between
 * `min` and `max` of them running, by the kernel's own figures.
 */
export interface PoolSettings {
  /** Instances always running (default 1). */
  min?: number
  /** Most instances running; the kernel's instance count (default: that count). */
  max?: number
  /** Messages in flight (queued included) per running instance above which it scales out (default 4). */
  target?: number
  /** Calls per second per running instance above which it scales out (default: not used). */
  rate?: number
  /** Milliseconds between two readings of the figures (default 1 000). */
  interval?: number
  /** Milliseconds after a scaling step before the next one (default 5 000). */
  cooldown?: number
  /** Readings in a row under half the target before one instance is removed (default 3). */
  settle?: number
}

/** Pool settings with every default filled in. */
export interface ResolvedPool {
  min: number
  max: number
  target: number
  rate: number | undefined
  interval: number
  cooldown: number
  settle: number
}

/** Checks `instances: { ... }` (a number there means a fixed count: no pool). */
export function resolvePool(value: unknown, where: string): ResolvedPool | undefined {
  if (value === undefined || typeof value === 'number') return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${where}: setting 'instances' must be { min, max }, got ${JSON.stringify(value)}`,
    )
  }
  const s = value as PoolSettings
  const known = ['min', 'max', 'target', 'rate', 'interval', 'cooldown', 'settle']
  for (const key of Object.keys(s)) {
    if (!known.includes(key)) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${where}: setting 'instances.${key}' is unknown (known: ${known.join(', ')})`,
      )
    }
  }
  const int = (key: string, v: unknown, fallback: number, min: number): number => {
    if (v === undefined) return fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `${where}: setting 'instances.${key}' must be an integer >= ${min}, got ${JSON.stringify(v)}`,
      )
    }
    return v
  }
  const min = int('min', s.min, 1, 1)
  const max = int('max', s.max, 0, 1)
  if (max !== 0 && max < min) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${where}: setting 'instances.max' (${max}) is below 'instances.min' (${min})`,
    )
  }
  return {
    min,
    max,
    target: int('target', s.target, 4, 1),
    rate: s.rate === undefined ? undefined : int('rate', s.rate, 0, 1),
    interval: int('interval', s.interval, 1_000, 10),
    cooldown: int('cooldown', s.cooldown, 5_000, 0),
    settle: int('settle', s.settle, 3, 1),
  }
}
