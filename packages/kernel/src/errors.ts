/**
 * Every code a `PlexusError` can carry, whether it is retryable by default, and what it means.
 * docs/errors.md lists exactly these codes; a test fails when the two disagree.
 */
export const ERROR_CODES = {
  NOT_FOUND: { retryable: false, summary: 'No service, version or action answers to the address.' },
  TIMEOUT: { retryable: true, summary: 'The deadline passed before the call ended.' },
  UNAVAILABLE: {
    retryable: true,
    summary: 'No instance can take the message now (stopping, stopped, crashed, failed).',
  },
  OVERLOADED: { retryable: true, summary: 'A mailbox queue is full; the message was refused.' },
  VALIDATION: { retryable: false, summary: 'Input or output failed its schema or a shape check.' },
  HANDLER: { retryable: false, summary: 'The handler threw; the original message is kept.' },
  CANCELLED: { retryable: false, summary: 'The caller aborted the call or closed the stream.' },
  UNAUTHORIZED: { retryable: false, summary: 'The caller is not authenticated.' },
  FORBIDDEN: { retryable: false, summary: 'The caller is authenticated but not allowed.' },
  CIRCUIT_OPEN: { retryable: true, summary: 'A circuit breaker refuses calls to the target.' },
  INVALID_ARGUMENT: { retryable: false, summary: 'An API was called with a malformed argument.' },
  INVALID_DEFINITION: { retryable: false, summary: 'A service definition is malformed.' },
  INVALID_CONFIG: {
    retryable: false,
    summary:
      'A configuration value is wrong: the message names the key, the value and what was expected.',
  },
  DUPLICATE_SERVICE: {
    retryable: false,
    summary: 'A service with the same name and version is already registered.',
  },
  MISSING_DEPENDENCY: {
    retryable: false,
    summary: 'A service depends on a service that is not registered.',
  },
  DEPENDENCY_CYCLE: { retryable: false, summary: 'Service dependencies form a cycle.' },
  START_FAILED: { retryable: false, summary: "A service's `started` hook threw." },
  START_TIMEOUT: { retryable: false, summary: "A service's `started` hook ran past its timeout." },
  INVALID_PLUGIN: { retryable: false, summary: 'A plug-in manifest is malformed.' },
  DUPLICATE_PLUGIN: { retryable: false, summary: 'Two plug-ins share a name.' },
  MISSING_PLUGIN: { retryable: false, summary: 'A plug-in depends on a plug-in that is absent.' },
  PLUGIN_CYCLE: { retryable: false, summary: 'Plug-in dependencies form a cycle.' },
  PLUGIN_TIMEOUT: { retryable: false, summary: "A plug-in's setup ran past its timeout." },
  PLUGIN_FAILED: {
    retryable: false,
    summary:
      "A plug-in's setup threw (not a PlexusError); the plug-ins loaded before it were torn down.",
  },
  MANIFEST_MISMATCH: {
    retryable: false,
    summary:
      'An instance offered for a service version announces other actions, events or streams than the running version.',
  },
  INVALID_INTERCEPTOR: {
    retryable: false,
    summary: 'An interceptor names a hook outside the closed set.',
  },
  PROTOCOL: {
    retryable: false,
    summary: 'A frame or envelope broke the wire protocol (framing, size, version, shape).',
  },
  INVALID_STATE: {
    retryable: false,
    summary: 'The kernel is not in a state that allows the operation.',
  },
} as const satisfies Record<string, { retryable: boolean; summary: string }>

/**
 * The one fault rule: codes that say the instance itself is unhealthy (an uncaught throw, gone,
 * too slow). They extend an instance's run of consecutive faults, for calls and streams alike,
 * which outlier ejection reads; deliberate answers (VALIDATION, NOT_FOUND, FORBIDDEN...) end it.
 */
export function isFault(code: string): boolean {
  return code === 'HANDLER' || code === 'UNAVAILABLE' || code === 'TIMEOUT'
}

/** A stable error code; see docs/errors.md. */
export type ErrorCode = keyof typeof ERROR_CODES

/**
 * The HTTP-style status of each code, one convention for every edge (the gateway's answers, the
 * NATS micro facade's `Nats-Service-Error-Code`); codes not listed are 500.
 */
export const ERROR_STATUSES: Readonly<Partial<Record<ErrorCode, number>>> = {
  VALIDATION: 422,
  INVALID_ARGUMENT: 400,
  PROTOCOL: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  CIRCUIT_OPEN: 503,
  INVALID_STATE: 503,
  // Shedding tells the client to back off (the gateway's `statuses` option can pick 503).
  OVERLOADED: 429,
  CANCELLED: 499,
}

/** The JSON form of a PlexusError: what crosses every link. */
export interface PlexusErrorJSON {
  name: 'PlexusError'
  code: string
  message: string
  retryable: boolean
  data?: unknown
  cause?: PlexusErrorJSON | { name: string; message: string }
}

/** Options for a new PlexusError. */
export interface PlexusErrorOptions {
  retryable?: boolean
  data?: unknown
  cause?: unknown
}

/** The one error class of Plexus: a stable `code`, a `retryable` flag, `data` and a `cause`. */
export class PlexusError extends Error {
  /** Stable machine-readable code (see ERROR_CODES). */
  readonly code: ErrorCode
  /** Whether trying again (elsewhere or later) may succeed. */
  readonly retryable: boolean
  /** Structured detail for the caller (validation issues, the address seen, ...). */
  readonly data: unknown

  constructor(code: ErrorCode, message: string, options?: PlexusErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options?.retryable ?? ERROR_CODES[code]?.retryable ?? false
    this.data = options?.data
  }

  override get name(): string {
    return 'PlexusError'
  }

  /** Plain JSON that `PlexusError.fromJSON` rebuilds intact on the other side of a link. */
  toJSON(): PlexusErrorJSON {
    const json: PlexusErrorJSON = {
      name: 'PlexusError',
      code: this.code,
      message: this.message,
      retryable: this.retryable,
    }
    if (this.data !== undefined) json.data = this.data
    const cause = this.cause
    if (cause instanceof PlexusError) json.cause = cause.toJSON()
    else if (cause instanceof Error) json.cause = { name: cause.name, message: cause.message }
    return json
  }

  /** Rebuilds an error from its JSON form; an unknown code becomes `HANDLER`, keeping the text. */
  static fromJSON(json: unknown): PlexusError {
    if (json === null || typeof json !== 'object') {
      return new PlexusError('HANDLER', `Malformed error payload: ${String(json)}`)
    }
    const j = json as Partial<PlexusErrorJSON>
    const known = typeof j.code === 'string' && Object.hasOwn(ERROR_CODES, j.code)
    const code = known ? (j.code as ErrorCode) : 'HANDLER'
    const message = typeof j.message === 'string' ? j.message : 'Unknown error'
    const options: PlexusErrorOptions = {}
    if (typeof j.retryable === 'boolean') options.retryable = j.retryable
    options.data = known ? j.data : { code: j.code, data: j.data }
    if (j.cause && typeof j.cause === 'object') {
      options.cause =
        j.cause.name === 'PlexusError'
          ? PlexusError.fromJSON(j.cause)
          : Object.assign(new Error(String(j.cause.message)), { name: String(j.cause.name) })
    }
    return new PlexusError(code, message, options)
  }
}

/** True when `value` is a PlexusError (optionally with the given code). */
export function isPlexusError(value: unknown, code?: ErrorCode): value is PlexusError {
  return value instanceof PlexusError && (code === undefined || value.code === code)
}

/** Turns anything thrown into a PlexusError; a plain Error becomes `fallback` with its message. */
export function toPlexusError(value: unknown, fallback: ErrorCode = 'HANDLER'): PlexusError {
  if (value instanceof PlexusError) return value
  if (value instanceof Error) return new PlexusError(fallback, value.message, { cause: value })
  return new PlexusError(fallback, `Non-error thrown: ${describe(value)}`, { data: value })
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  } catch {
    return String(value)
  }
}
