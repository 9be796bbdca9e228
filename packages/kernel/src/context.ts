import type { Logger } from './logger.js'
import type { PlexusError } from './errors.js'

/** Metadata carried with a message (request id, auth claims, trace ids...). */
export type Meta = Record<string, unknown>

/** Options of `call`, `send`, `stream` and `channel`. */
export interface CallOptions {
  /** Time budget in milliseconds from now; capped by the caller's own remaining budget. */
  deadline?: number
  /** Metadata merged over the caller's metadata. */
  meta?: Meta
  /** Aborting it ends the call with `CANCELLED` and aborts the callee's `ctx.signal`. */
  signal?: AbortSignal | CancelSource
}

/**
 * What cancels a call besides an AbortSignal (which is one): a link's exchange answers these
 * without building an AbortController and an EventTarget per served call. `reason` is read once
 * `aborted` is true; each listener added runs once, on abort, and is removed once its call ends,
 * so one long-lived source may serve any number of calls.
 */
export interface CancelSource {
  /** True once cancelled. */
  readonly aborted: boolean
  /** Why it was cancelled. */
  readonly reason: unknown
  /** Runs `listener` once when cancelled. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  /** Forgets a listener added before. */
  removeEventListener(type: 'abort', listener: () => void): void
}

/** Options of `emit`. */
export interface EmitOptions {
  /** Metadata merged over the caller's metadata. */
  meta?: Meta
}

/** What every handler receives: who called, with what metadata, until when, and the bus. */
export interface Context {
  /** The service handling the message (empty for a caller outside any service). */
  readonly service: string
  /** The action, event pattern or stream being handled. */
  readonly action: string
  /** The calling service's name, or undefined for a call from outside the kernel. */
  readonly caller: string | undefined
  /** The topic of the event being handled (event handlers only). */
  readonly topic: string | undefined
  /** Metadata of the message. */
  readonly meta: Meta
  /** Absolute deadline on the kernel clock (ms); see `remaining()`. */
  readonly deadline: number
  /** Aborted when the deadline passes or the caller cancels. */
  readonly signal: AbortSignal
  /** Logger bound to the service and action. */
  readonly logger: Logger
  /** Milliseconds left before the deadline (never below 0). */
  remaining(): number
  /** Request/response through the kernel; deadline, meta and cancellation propagate. */
  call<O = unknown>(address: string, input?: unknown, options?: CallOptions): Promise<O>
  /** Fire-and-forget request through the kernel. */
  send(address: string, input?: unknown, options?: CallOptions): void
  /** Publishes an event through the kernel. */
  emit(topic: string, payload?: unknown, options?: EmitOptions): void
  /** Opens a request-stream through the kernel. */
  stream<O = unknown>(address: string, input?: unknown, options?: CallOptions): AsyncIterable<O>
  /** Opens a bidirectional channel through the kernel. */
  channel<I = unknown, O = unknown>(
    address: string,
    input: AsyncIterable<I>,
    options?: CallOptions,
  ): AsyncIterable<O>
}

/**
 * The context of a message as the kernel's seam sees it: what a link reads to forward a message
 * (budget left, metadata without creating it, why it was aborted) and what the bus accepts as
 * the parent of onward calls. The kernel creates every one; links never build their own.
 */
export interface MessageContext extends Context {
  /** The budget the message was given, in ms. */
  readonly budget: number
  /** Why the message was aborted (deadline, cancel, link loss), if it was. */
  readonly reason: PlexusError | undefined
  /** The caller's cancel signal, if it gave one (not created on demand, unlike `signal`). */
  readonly cancelSignal: AbortSignal | CancelSource | undefined
  /** The metadata if any was set, without creating it. */
  peekMeta(): Meta | undefined
  /** `'service.action'` or `event 'topic' in 'service'`, for messages and logs. */
  describe(): string
}
