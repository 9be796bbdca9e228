import type { CallOptions, Context, EmitOptions, MessageContext } from './context.js'
import { PlexusError } from './errors.js'
import type { StandardSchemaV1 } from './standard-schema.js'

/** A handler after compilation: answers a value, a promise, or an async iterable (streams). */
export type HandleFn = (ctx: Context, input: unknown) => unknown

/** The outbound call path: what `kernel.call` / `ctx.call` run. */
export type CallFn = (
  address: string,
  input: unknown,
  options: CallOptions | undefined,
  caller: MessageContext | undefined,
) => Promise<unknown>

/** The outbound emit path. */
export type EmitFn = (
  topic: string,
  payload: unknown,
  options: EmitOptions | undefined,
  caller: MessageContext | undefined,
) => void

/** The outbound stream-open path (request-streams and channels). */
export type StreamFn = (
  kind: 'stream' | 'channel',
  address: string,
  input: unknown,
  options: CallOptions | undefined,
  caller: MessageContext | undefined,
) => AsyncIterable<unknown>

/** What an inbound interceptor learns about the handler it wraps (once, at compile time). */
export interface HandlerInfo {
  /** Service name. */
  readonly service: string
  /** Service version. */
  readonly version: number
  /** Action name, event pattern, stream or channel name. */
  readonly name: string
  /** What kind of handler it is. */
  readonly kind: 'action' | 'event' | 'stream' | 'channel'
  /** Input schema, when declared. */
  readonly input: StandardSchemaV1 | undefined
  /** Output schema, when declared (actions only). */
  readonly output: StandardSchemaV1 | undefined
  /** Declared idempotent (safe to retry). */
  readonly idempotent: boolean
}

/**
 * A plug-in step on the message path. Each hook wraps the next step once, when a handler is
 * compiled or the interceptor is added — never per message — so returning `next` unchanged
 * costs nothing at run time.
 */
export interface Interceptor {
  /** Unique name, for diagnostics. */
  readonly name: string
  /** Wraps the outbound call path (caller side): retries, circuit breakers, client metrics. */
  call?(next: CallFn): CallFn
  /** Wraps one handler (callee side): deadlines, validation, auth, server metrics. */
  handle?(next: HandleFn, info: HandlerInfo): HandleFn
  /** Wraps the outbound emit path. */
  emit?(next: EmitFn): EmitFn
  /** Wraps the outbound stream-open path. */
  stream?(next: StreamFn): StreamFn
}

/** The closed set of hook names. */
export const HOOKS = ['call', 'handle', 'emit', 'stream'] as const

/** A hook name. */
export type Hook = (typeof HOOKS)[number]

/** Rejects anything but a named object whose other keys are hook functions. */
export function assertInterceptor(value: unknown): asserts value is Interceptor {
  if (value === null || typeof value !== 'object') {
    throw new PlexusError(
      'INVALID_INTERCEPTOR',
      `Interceptor must be an object, got ${typeof value}`,
    )
  }
  const record = value as Record<string, unknown>
  if (typeof record.name !== 'string' || record.name.length === 0) {
    throw new PlexusError('INVALID_INTERCEPTOR', 'Interceptor needs a non-empty string `name`')
  }
  for (const key of Object.keys(record)) {
    if (key === 'name') continue
    if (!(HOOKS as readonly string[]).includes(key)) {
      throw new PlexusError(
        'INVALID_INTERCEPTOR',
        `Interceptor '${record.name}' names unknown hook '${key}': expected one of ${HOOKS.join(', ')}`,
      )
    }
    if (typeof record[key] !== 'function') {
      throw new PlexusError(
        'INVALID_INTERCEPTOR',
        `Interceptor '${record.name}' hook '${key}' must be a function`,
      )
    }
  }
}
