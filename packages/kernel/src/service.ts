import type { Context } from './context.js'
import type { StandardSchemaV1 } from './standard-schema.js'

/** A request handler: returns the answer (or a promise of it). */
export type ActionHandler<I = any, O = unknown, C = Context> = (
  ctx: C,
  input: I,
) => O | PromiseLike<O>

/** An action with options: schemas, mailbox, idempotency. */
export interface ActionSpec<I = any, O = unknown, C = Context> {
  /** The handler. */
  handler: ActionHandler<I, O, C>
  /** Standard Schema validator of the input; a failure answers `VALIDATION` with the issues. */
  input?: StandardSchemaV1<unknown, I>
  /** Standard Schema validator of the output. */
  output?: StandardSchemaV1<unknown, O>
  /** Messages handled at once per instance (1 = actor-style); unlimited when absent. */
  concurrency?: number
  /** Mailbox queue bound when `concurrency` is set (default 1000); full answers `OVERLOADED`. */
  queue?: number
  /**
   * Key for FIFO order per key: messages with the same key never run at the same time. Gets
   * the message's context too (its meta), read before the message queues; may throw to refuse it.
   */
  serializeBy?: (input: I, ctx: C) => unknown
  /** True when running it twice is harmless, so it may be retried on another instance. */
  idempotent?: boolean
}

/** An action: a bare handler or a spec. */
export type ActionDefinition<I = any, O = unknown, C = Context> =
  ActionHandler<I, O, C> | ActionSpec<I, O, C>

/** An event handler; its result is awaited only to report failures and count in-flight work. */
export type EventHandler<P = any, C = Context> = (ctx: C, payload: P) => unknown

/** How an event reaches a subscribing service's instances. */
export type Delivery = 'balanced' | 'broadcast'

/** An event subscription with options. */
export interface EventSpec<P = any, C = Context> {
  /** The handler. */
  handler: EventHandler<P, C>
  /** `balanced` (default): one instance of the service; `broadcast`: every instance. */
  delivery?: Delivery
  /** Standard Schema validator of the payload. */
  input?: StandardSchemaV1<unknown, P>
  /**
   * Survives the subscriber being down (docs/events.md): with a durable-events plug-in loaded,
   * the event is stored and acknowledged only once handled; without one it is a plain event.
   */
  durable?: boolean | DurableEventOptions
}

/** Knobs of a durable subscription, read by the durable-events plug-in (docs/events.md). */
export interface DurableEventOptions {
  /** Attempts before the event goes to the dead-letter subject (default 5). */
  maxDeliveries?: number
  /** Delay before each retry in ms, by attempt; the last one repeats (default 1000, 5000, 30000). */
  backoff?: readonly number[]
  /** Handled one at a time in publish order, a failure retried in place (default false). */
  ordered?: boolean
  /** How long a handler may run before the event is handed out again, in ms (default 30000). */
  ackWait?: number
}

/** An event subscription: a bare handler or a spec. */
export type EventDefinition<P = any, C = Context> = EventHandler<P, C> | EventSpec<P, C>

/** A request-stream handler: an async iterable the consumer pulls from. */
export type StreamHandler<I = any, O = unknown, C = Context> = (
  ctx: C,
  input: I,
) => AsyncIterable<O>

/** A request-stream with options. */
export interface StreamSpec<I = any, O = unknown, C = Context> {
  /** The handler. */
  handler: StreamHandler<I, O, C>
  /** Standard Schema validator of the opening input. */
  input?: StandardSchemaV1<unknown, I>
}

/** A channel handler: consumes the caller's iterable, produces its own. */
export type ChannelHandler<I = any, O = unknown, C = Context> = (
  ctx: C,
  input: AsyncIterable<I>,
) => AsyncIterable<O>

/** A lifecycle hook. */
export type LifecycleHook<C = Context> = (ctx: C) => void | Promise<void>

/** A service: a named, versioned unit of actions, event handlers, streams and lifecycle hooks. */
export interface ServiceDefinition<N extends string = string, C = Context> {
  /** Name used in addresses (`name.action`): letters, digits, `_` and `-`. */
  name: N
  /** Positive integer version (default 1); `name@2.action` pins it. */
  version?: number
  /** Services that must be started before this one. */
  dependencies?: readonly string[]
  /** Request handlers. */
  actions?: Record<string, ActionDefinition<any, unknown, C>>
  /** Event subscriptions by topic pattern (`*` one token, `>` the rest). */
  events?: Record<string, EventDefinition<any, C>>
  /** Request-stream handlers. */
  streams?: Record<string, StreamHandler<any, unknown, C> | StreamSpec<any, unknown, C>>
  /** Bidirectional channel handlers. */
  channels?: Record<string, ChannelHandler<any, unknown, C>>
  /** Service-wide mailbox: messages handled at once per instance, across all actions. */
  concurrency?: number
  /** Service-wide mailbox queue bound (default 1000). */
  queue?: number
  /** Runs on each instance before it takes messages. */
  started?: LifecycleHook<C>
  /** Runs on each instance after it has drained. */
  stopped?: LifecycleHook<C>
}

/** Declares a service; returns the definition unchanged, typed for `kernel.call` inference. */
export function defineService<const D extends ServiceDefinition>(definition: D): D {
  return definition
}

/** Declares one action with a schema, so the handler's input is inferred from the schema. */
export function defineAction<S extends StandardSchemaV1, O>(
  spec: Omit<ActionSpec<StandardSchemaV1.InferOutput<S>, O>, 'input' | 'handler'> & {
    input: S
    handler: (ctx: Context, input: StandardSchemaV1.InferOutput<S>) => O | PromiseLike<O>
  },
): ActionSpec<StandardSchemaV1.InferOutput<S>, O> {
  return spec
}
