import { PlexusError } from './errors.js'
import type { ServiceEntry } from './registry.js'
import type { ServiceDefinition } from './service.js'
import { assertPattern } from './topic.js'

/** A resolved address: the service, a pinned version (0 = current) and the action. */
export interface Route {
  readonly service: ServiceEntry
  readonly version: number
  readonly action: string
}

const NAME = /^[A-Za-z][\w-]*$/
/** Action names links use for their own requests (`<service>.$event` ...). */
const RESERVED = new Set(['$started', '$stopped', '$event'])
const ADDRESS = /^([A-Za-z][\w-]*)(?:@([1-9]\d*))?\.([A-Za-z_$][\w$-]*)$/

/** Splits `service.action` or `service@2.action`; a malformed address is NOT_FOUND. */
export function parseAddress(
  address: unknown,
): { service: string; version: number; action: string } | PlexusError {
  const match = typeof address === 'string' ? ADDRESS.exec(address) : null
  if (match === null) {
    return new PlexusError(
      'NOT_FOUND',
      `Malformed address ${JSON.stringify(address)}: expected 'service.action' or 'service@version.action'`,
      { data: { address } },
    )
  }
  return { service: match[1]!, version: match[2] ? Number(match[2]) : 0, action: match[3]! }
}

/** Checks a service definition's shape; each problem names the key and the value seen. */
export function assertDefinition(definition: unknown): asserts definition is ServiceDefinition {
  const fail = (message: string): never => {
    throw new PlexusError('INVALID_DEFINITION', message)
  }
  if (definition === null || typeof definition !== 'object') {
    fail(`Service definition must be an object, got ${typeof definition}`)
  }
  const d = definition as Record<string, unknown>
  if (typeof d.name !== 'string' || !NAME.test(d.name)) {
    fail(
      `Service name must match ${NAME} (letters, digits, '_' and '-'), got ${JSON.stringify(d.name)}`,
    )
  }
  const where = `Service '${String(d.name)}'`
  if (d.version !== undefined && (!Number.isInteger(d.version) || (d.version as number) < 1)) {
    fail(`${where}: version must be a positive integer, got ${JSON.stringify(d.version)}`)
  }
  if (
    d.dependencies !== undefined &&
    (!Array.isArray(d.dependencies) || !d.dependencies.every((x) => typeof x === 'string'))
  ) {
    fail(`${where}: dependencies must be an array of service names`)
  }
  for (const key of ['concurrency', 'queue'] as const) {
    const v = d[key]
    if (v !== undefined && (typeof v !== 'number' || !(v >= 1))) {
      fail(`${where}: ${key} must be a number >= 1, got ${JSON.stringify(v)}`)
    }
  }
  for (const hook of ['started', 'stopped'] as const) {
    if (d[hook] !== undefined && typeof d[hook] !== 'function') {
      fail(`${where}: ${hook} must be a function, got ${typeof d[hook]}`)
    }
  }
  const table = (key: string): [string, unknown][] => {
    const value = d[key]
    if (value === undefined) return []
    if (value === null || typeof value !== 'object') fail(`${where}: ${key} must be an object`)
    return Object.entries(value as object)
  }
  const handlerOf = (kind: string, name: string, entry: unknown): void => {
    const fn =
      typeof entry === 'function' ? entry : (entry as { handler?: unknown } | null)?.handler
    if (typeof fn !== 'function') {
      fail(`${where}: ${kind} '${name}' must be a function or { handler }, got ${typeof entry}`)
    }
  }
  for (const [name, entry] of table('actions')) {
    if (!/^[A-Za-z_$][\w$-]*$/.test(name))
      fail(`${where}: invalid action name ${JSON.stringify(name)}`)
    if (RESERVED.has(name))
      fail(`${where}: action name '${name}' is reserved for links (protocol.md §3)`)
    handlerOf('action', name, entry)
    const spec = entry as Record<string, unknown>
    for (const key of ['concurrency', 'queue'] as const) {
      const v = typeof entry === 'object' ? spec[key] : undefined
      if (v !== undefined && (typeof v !== 'number' || !(v >= 1))) {
        fail(`${where}: action '${name}' ${key} must be a number >= 1, got ${JSON.stringify(v)}`)
      }
    }
  }
  for (const [pattern, entry] of table('events')) {
    assertPattern(pattern, where)
    handlerOf('event', pattern, entry)
  }
  for (const [name, entry] of table('streams')) handlerOf('stream', name, entry)
  for (const [name, entry] of table('channels')) handlerOf('channel', name, entry)
}
