import { badRequest } from './http-status.js'

// Keys that rewrite an object's prototype once a naive merge or parser sees them.
const PROTO = '__proto__'

/** True when a flat key names a prototype path the way qs-style parsers read it (`a[__proto__]`). */
export function isPoisonedKey(key: string): boolean {
  if (!key.includes(PROTO) && !key.includes('constructor')) return false
  const parts = key.split(/[[\].]+/).filter((p) => p !== '')
  return parts.some((p, i) => p === PROTO || (p === 'constructor' && parts[i + 1] === 'prototype'))
}

/**
 * The path of the first `__proto__` or `constructor.prototype` key in a parsed value, or
 * undefined. Iterative, so a 10k-deep payload cannot overflow the stack.
 */
export function findPoisonedPath(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }]
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!
    if (node === null || typeof node !== 'object') continue
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key]
      const here = path === '' ? key : `${path}.${key}`
      if (key === PROTO || isPoisonedKey(key)) return here
      if (key === 'constructor' && child !== null && typeof child === 'object') {
        if (Object.hasOwn(child, 'prototype')) return `${here}.prototype`
      }
      if (child !== null && typeof child === 'object') stack.push({ value: child, path: here })
    }
  }
  return undefined
}

/**
 * Whether JSON `text` may parse to a value with a poisoned key: only if it spells one of the
 * two words, or hides letters behind a `\u` escape. False means clean, without walking the value.
 */
export function jsonMayBePoisoned(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')
}

/**
 * Throws `VALIDATION` (answered 400) when `value` carries a prototype-polluting key; `where`
 * names the part. `text`, the JSON `value` was parsed from, lets a clean payload skip the walk.
 */
export function assertNotPoisoned(value: unknown, where: string, text?: string): void {
  if (text !== undefined && !jsonMayBePoisoned(text)) return
  const path = findPoisonedPath(value)
  if (path !== undefined) {
    throw badRequest(`Rejected ${where}: forbidden key at '${path}'`, { where, path })
  }
}
