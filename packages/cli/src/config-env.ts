import { configError } from './config-error.js'

/** The result of layering environment variables over a config. */
export interface Layered {
  /** The config with overrides applied (the input is not changed). */
  config: Record<string, unknown>
  /** Config key path (`services.orders.instances`) -> the variable that set it. */
  sources: Map<string, string>
}

const SHORTCUTS: Record<string, string[]> = {
  PORT: ['gateway', 'port'],
  PLEXUS_LOG_LEVEL: ['log', 'level'],
}
const POISONED = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Layers 12-factor overrides over a config: `PLEXUS_<A>__<B>__<C>=value` sets `a.b.c` (a
 * double underscore separates levels; `DRAIN_TIMEOUT` matches `drainTimeout`), `PORT` sets
 * `gateway.port` and `PLEXUS_LOG_LEVEL` sets `log.level`. Values are read as JSON when they
 * parse (numbers, booleans, objects), else as strings. `PLEXUS_*` variables without `__` belong
 * to other tools and are left alone.
 */
export function applyEnv(
  config: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): Layered {
  const out = copyPlain(config) as Record<string, unknown>
  const sources = new Map<string, string>()
  const names = Object.keys(env).sort()
  for (const name of names) {
    const raw = env[name]
    if (raw === undefined) continue
    let path: string[] | undefined = SHORTCUTS[name]
    // `gateway: false` in the file means no gateway, whatever PORT the platform sets.
    if (path !== undefined && out[path[0]!] === false) continue
    if (path === undefined) {
      if (!name.startsWith('PLEXUS_') || !name.includes('__')) continue
      path = name.slice('PLEXUS_'.length).split('__')
    }
    const keys = setPath(out, path, parseValue(raw), name)
    sources.set(keys.join('.'), name)
  }
  return { config: out, sources }
}

function setPath(
  root: Record<string, unknown>,
  segments: string[],
  value: unknown,
  variable: string,
): string[] {
  const keys: string[] = []
  let node = root
  segments.forEach((segment, i) => {
    const key = matchKey(node, segment)
    if (key === '' || POISONED.has(key)) {
      throw configError(variable, segment, 'a config key path like PLEXUS_KERNEL__DRAIN_TIMEOUT')
    }
    keys.push(key)
    if (i === segments.length - 1) {
      node[key] = value
      return
    }
    const next = node[key]
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  })
  return keys
}

// `DRAIN_TIMEOUT` finds an existing `drainTimeout`; a key not in the file becomes camelCase.
function matchKey(node: Record<string, unknown>, segment: string): string {
  const flat = segment.replaceAll('_', '').toLowerCase()
  for (const key of Object.keys(node))
    if (key.replaceAll('_', '').toLowerCase() === flat) return key
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

function parseValue(raw: string): unknown {
  const text = raw.trim()
  if (text === '') return raw
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new Error('poisoned')
      return value
    })
  } catch {
    return raw
  }
}

// Plain objects and arrays are copied; anything else (a plug-in manifest, a function) is shared.
function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain)
  if (value === null || typeof value !== 'object') return value
  if (Object.getPrototypeOf(value) !== Object.prototype) return value
  if (typeof (value as { setup?: unknown }).setup === 'function') return value // a plug-in
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = copyPlain(item)
  return out
}
