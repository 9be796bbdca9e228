import { PlexusError } from '@plexus/kernel'
import type { PoolSettings } from './pool-settings.js'

/** Restart policy of a supervised instance (Erlang-style one-for-one). */
export interface RestartPolicy {
  /** Restarts allowed within `period` before the instance is FAILED (default 5). */
  intensity: number
  /** Window in ms over which restarts are counted (default 10 000). */
  period: number
  /** First wait before a restart in ms, doubled per recent restart (default 100). */
  backoff: number
  /** Longest wait before a restart in ms (default 5 000). */
  maxBackoff: number
}

/** Placement settings: given to `isolation(...)` as defaults, or per service in `add(..., { settings })`. */
export interface IsolationSettings {
  /** Memory limits; running out restarts the instance with the cause reported. */
  resourceLimits?: {
    /** Old-generation heap in MiB (workers and children). */
    maxOldGenerationSizeMb?: number
    /** Young-generation heap in MiB (workers only). */
    maxYoungGenerationSizeMb?: number
    /** Stack in MiB (workers only). */
    stackSizeMb?: number
  }
  /** Restart intensity, period and backoff. */
  restart?: Partial<RestartPolicy>
  /** Liveness: a PING every `interval` ms (0 disables); `misses` unanswered in a row replace the guest. */
  ping?: { interval?: number; misses?: number }
  /** Budget in ms for a guest to load its module and say HELLO (default 10 000). */
  helloTimeout?: number
  /** Items a stream may run ahead of its consumer across the link (default 16). */
  window?: number
  /** Ms a stopping guest gets to leave by itself before it is killed (default 1 000). */
  stopGrace?: number
  /** The supervision group the instance belongs to (one of the plug-in's `groups`). */
  group?: string
  /** Per service only: an autoscaled pool over its instance slots (`{ min, max }`). */
  instances?: PoolSettings
}

/** Settings with every default filled in. */
export interface ResolvedSettings {
  maxOldGenerationSizeMb: number | undefined
  maxYoungGenerationSizeMb: number | undefined
  stackSizeMb: number | undefined
  restart: RestartPolicy
  pingInterval: number
  pingMisses: number
  helloTimeout: number
  window: number
  stopGrace: number
  group: string | undefined
}

/** Merges per-service settings over the plug-in's defaults and checks every number. */
export function resolveSettings(
  defaults: IsolationSettings,
  own: Readonly<Record<string, unknown>>,
  where: string,
): ResolvedSettings {
  const s = own as IsolationSettings
  const limits = { ...defaults.resourceLimits, ...s.resourceLimits }
  const restart = { ...defaults.restart, ...s.restart }
  const ping = { ...defaults.ping, ...s.ping }
  const num = (key: string, value: unknown, fallback: number, min: number): number =>
    checked(where, key, value, fallback, min)
  const optional = (key: string, value: unknown): number | undefined =>
    value === undefined ? undefined : num(key, value, 0, 1)
  return {
    maxOldGenerationSizeMb: optional(
      'resourceLimits.maxOldGenerationSizeMb',
      limits.maxOldGenerationSizeMb,
    ),
    maxYoungGenerationSizeMb: optional(
      'resourceLimits.maxYoungGenerationSizeMb',
      limits.maxYoungGenerationSizeMb,
    ),
    stackSizeMb: optional('resourceLimits.stackSizeMb', limits.stackSizeMb),
    restart: resolveRestart(restart, where, 'restart.'),
    pingInterval: num('ping.interval', ping.interval, 1_000, 0),
    pingMisses: num('ping.misses', ping.misses, 3, 1),
    helloTimeout: num('helloTimeout', s.helloTimeout ?? defaults.helloTimeout, 10_000, 1),
    window: num('window', s.window ?? defaults.window, 16, 1),
    stopGrace: num('stopGrace', s.stopGrace ?? defaults.stopGrace, 1_000, 0),
    group: groupName(s.group ?? defaults.group, where),
  }
}

/** A restart policy with every default filled in and every number checked. */
export function resolveRestart(
  restart: Partial<RestartPolicy>,
  where: string,
  prefix = '',
): RestartPolicy {
  return {
    intensity: checked(where, `${prefix}intensity`, restart.intensity, 5, 0),
    period: checked(where, `${prefix}period`, restart.period, 10_000, 1),
    backoff: checked(where, `${prefix}backoff`, restart.backoff, 100, 0),
    maxBackoff: checked(where, `${prefix}maxBackoff`, restart.maxBackoff, 5_000, 0),
  }
}

function checked(
  where: string,
  key: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${where}: setting '${key}' must be a finite number >= ${min}, got ${JSON.stringify(value)}`,
    )
  }
  return value
}

function groupName(value: unknown, where: string): string | undefined {
  if (value === undefined || (typeof value === 'string' && value.length > 0)) return value
  throw new PlexusError(
    'INVALID_ARGUMENT',
    `${where}: setting 'group' must be a group name, got ${JSON.stringify(value)}`,
  )
}
