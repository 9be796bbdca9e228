/** Structured log fields. */
export type LogFields = Record<string, unknown>

/** The logger seam: pino-compatible call shape (`logger.info(fields, message)`). */
export interface Logger {
  /** Debug-level record. */
  debug(fields: LogFields, message: string): void
  /** Info-level record. */
  info(fields: LogFields, message: string): void
  /** Warning-level record. */
  warn(fields: LogFields, message: string): void
  /** Error-level record. */
  error(fields: LogFields, message: string): void
  /** A logger that adds `bindings` to every record. */
  child(bindings: LogFields): Logger
}

/** Log levels from most to least verbose, plus `silent`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

/** A logger that writes one JSON line per record to stderr at or above `level`. */
export function createConsoleLogger(level: LogLevel = 'info', bindings: LogFields = {}): Logger {
  const min = RANK[level]
  const write = (lvl: Exclude<LogLevel, 'silent'>, fields: LogFields, message: string): void => {
    if (RANK[lvl] < min) return
    const record = { level: lvl, time: Date.now(), ...bindings, ...fields, msg: message }
    process.stderr.write(JSON.stringify(record, errorReplacer) + '\n')
  }
  return {
    debug: (f, m) => write('debug', f, m),
    info: (f, m) => write('info', f, m),
    warn: (f, m) => write('warn', f, m),
    error: (f, m) => write('error', f, m),
    child: (more) => createConsoleLogger(level, { ...bindings, ...more }),
  }
}

/** A logger that drops every record. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const json = (value as { toJSON?: () => unknown }).toJSON
    return typeof json === 'function'
      ? json.call(value)
      : { name: value.name, message: value.message }
  }
  return value
}

/** A log level from configuration text (e.g. `$PLEXUS_LOG_LEVEL`); anything else is `info`. */
export function logLevelOf(text: string | undefined): LogLevel {
  return text === 'debug' || text === 'warn' || text === 'error' || text === 'silent'
    ? text
    : 'info'
}
