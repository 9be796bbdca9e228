import { PlexusError } from '@plexus/kernel'

// Shape checks for kv actions' inputs: each failure names the field and the value seen.

function field(input: unknown, name: string): unknown {
  return (input as Record<string, unknown> | null | undefined)?.[name]
}

function refuse(name: string, expected: string, value: unknown, where = 'kv'): never {
  throw new PlexusError(
    'VALIDATION',
    `${where}: '${name}' must be ${expected}, got ${JSON.stringify(value)}`,
    { data: { field: name, value } },
  )
}

/** The `key` (or another string field) of an input. */
export function keyOf(input: unknown, maxKey: number, name = 'key'): string {
  const value = field(input, name)
  if (typeof value !== 'string' || value.length === 0 || value.length > maxKey) {
    refuse(name, `a non-empty string of at most ${maxKey} characters`, value)
  }
  return value
}

/** An optional revision (a non-negative integer; 0 = absent). */
export function revisionOf(input: unknown, name = 'ifRevision'): number | undefined {
  const value = field(input, name)
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    refuse(name, 'a revision (an integer ≥ 0; 0 = absent)', value)
  }
  return value as number
}

/** An optional TTL in milliseconds. */
export function ttlOf(input: unknown): number | undefined {
  const value = field(input, 'ttl')
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    refuse('ttl', 'a positive number of milliseconds', value)
  }
  return value
}

/** An optional prefix (default ''). */
export function prefixOf(input: unknown, where: string): string {
  const value = field(input, 'prefix') ?? ''
  if (typeof value !== 'string') refuse('prefix', 'a string', value, where)
  return value
}

/** The value to store: present and plain JSON (it must survive every backend unchanged). */
export function storable(input: unknown, key: string): unknown {
  const value = field(input, 'value')
  if (value === undefined) {
    throw new PlexusError('VALIDATION', `kv.set '${key}': 'value' is missing (use kv.delete)`, {
      data: { key },
    })
  }
  try {
    return JSON.parse(JSON.stringify(value))
  } catch (error) {
    throw new PlexusError('VALIDATION', `kv.set '${key}': value is not JSON-serialisable`, {
      data: { key },
      cause: error,
    })
  }
}
