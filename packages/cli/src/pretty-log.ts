import type { Colors } from './color.js'

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
}
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app'])

/**
 * Turns one pino JSON line into a human line: `12:00:01 INFO  message key=value`. Errors print
 * their code and message, never a stack; a line that is not JSON passes through.
 */
export function prettyLine(line: string, c: Colors): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  const level = typeof record.level === 'number' ? record.level : 30
  const label = LEVELS[level] ?? String(level)
  const paint = level >= 50 ? c.red : level >= 40 ? c.yellow : level >= 30 ? c.green : c.dim
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now())
    .toTimeString()
    .slice(0, 8)
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${c.dim(key + '=')}${field(value)}`)
  const message = typeof record.msg === 'string' ? record.msg : ''
  return `${c.dim(time)} ${paint(label)} ${message}${fields.length ? ' ' + fields.join(' ') : ''}\n`
}

function field(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value
  if (value !== null && typeof value === 'object' && 'message' in value) {
    const e = value as { code?: unknown; message: unknown }
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(e.message)
    return JSON.stringify(typeof e.code === 'string' ? `${e.code}: ${message}` : message)
  }
  return JSON.stringify(value) ?? typeof value
}
