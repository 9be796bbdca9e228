import { protocolError } from './protocol-error.js'

/**
 * Throws PROTOCOL when `value` nests deeper than `maxDepth` or carries a key that poisons
 * prototypes: an own `__proto__`, or a `constructor` object with a `prototype`.
 * Recursion is safe because it never goes deeper than `maxDepth`.
 */
export function assertSafeValue(value: unknown, maxDepth: number): void {
  scan(value, 1, maxDepth)
}

function scan(value: unknown, depth: number, maxDepth: number): void {
  if (typeof value !== 'object' || value === null) return
  if (depth > maxDepth) {
    throw protocolError('too-deep', `Envelope nests deeper than ${maxDepth} levels`, { maxDepth })
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) scan(value[i], depth + 1, maxDepth)
    return
  }
  const record = value as Record<string, unknown>
  // for-in also sees inherited enumerable keys; decoded objects inherit none from Object.prototype.
  for (const key in record) {
    if (key === '__proto__') {
      throw protocolError('proto-key', "Envelope carries a '__proto__' key", { key })
    }
    const child = record[key]
    if (key === 'constructor' && isPrototypeHolder(child)) {
      throw protocolError('proto-key', "Envelope carries a 'constructor.prototype' key", {
        key: 'constructor.prototype',
      })
    }
    scan(child, depth + 1, maxDepth)
  }
}

function isPrototypeHolder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')
}

/**
 * True when JSON `text` might hold a dangerous key or nest deeper than `maxDepth`, so that the
 * parsed value needs `assertSafeValue`. False proves it cannot: every key spelling `__proto__` or
 * `constructor` contains that word or a `\u` escape, and each level opens with `{` or `[`.
 */
export function textNeedsScan(text: string, maxDepth: number): boolean {
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
    return true
  }
  if (text.length <= maxDepth) return false
  let opened = 0
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    if (++opened > maxDepth) return true
  }
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) {
    if (++opened > maxDepth) return true
  }
  return false
}

/**
 * Exact nesting check on JSON text, string-aware, run before parsing large texts: 16 MiB of
 * `[[[[...]]]]` would otherwise become millions of arrays in memory before the walk refuses it.
 */
export function textTooDeep(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}
