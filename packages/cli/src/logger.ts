import { pino, stdSerializers, type DestinationStream } from 'pino'
import type { Logger, LogLevel } from '@plexus/kernel'
import { colorsFor } from './color.js'
import { prettyLine } from './pretty-log.js'

/** Options of the CLI's logger. */
export interface LoggerOptions {
  level: LogLevel
  /** `auto`: pretty when `stream` is a terminal, JSON lines otherwise. */
  pretty: boolean | 'auto'
  /** Bound to every record. */
  name?: string
  /** Where lines go (default stdout). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
}

/** A pino logger writing structured JSON lines (or pretty ones on a terminal) to stdout. */
export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stdout
  const pretty = options.pretty === 'auto' ? out.isTTY === true : options.pretty
  const c = colorsFor(out)
  const destination: DestinationStream = pretty
    ? { write: (line: string) => void out.write(prettyLine(line, c)) }
    : { write: (line: string) => void out.write(line) }
  return pino(
    {
      level: options.level,
      base:
        options.name === undefined ? { pid: process.pid } : { pid: process.pid, app: options.name },
      serializers: { err: errorSerializer, error: errorSerializer },
    },
    destination,
  )
}

// PlexusErrors log as their JSON form (code, message, data); other errors through pino's own.
function errorSerializer(value: unknown): unknown {
  if (value instanceof Error) {
    const json = (value as { toJSON?: () => unknown }).toJSON
    return typeof json === 'function' ? json.call(value) : stdSerializers.err(value)
  }
  return value
}
