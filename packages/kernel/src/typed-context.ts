import type { CallOptions, Context, EmitOptions } from './context.js'
import type {
  CallAddress,
  CallArgs,
  CallInput,
  CallOutput,
  StreamAddress,
  StreamInput,
  StreamItem,
} from './typed-address.js'

/** Topics `emit` accepts with topics `E`; any string while `E` is empty. */
export type EmitTopic<E> = {} extends E ? string : keyof E & string

/** The payload type of topic `T` with topics `E`. */
export type EmitPayload<E, T> = {} extends E ? unknown : T extends keyof E ? E[T] : never

/** The arguments of `emit`: the payload is optional only when it may be undefined. */
export type EmitArgs<P> = unknown extends P
  ? [payload?: P, options?: EmitOptions]
  : undefined extends P
    ? [payload?: P, options?: EmitOptions]
    : [payload: P, options?: EmitOptions]

/** `call`, `send` and `stream` checked against the services `M`. */
export interface TypedCalls<M> {
  // The answer is a defaulted type parameter, not a type computed in the return position: that
  // keeps `Context` assignable to a typed context when TypeScript compares the overloads (with
  // type parameters erased). `NoInfer` keeps it from being inferred from the call's target.
  /** Request/response: the address, the input and the answer are typed from `M`. */
  call<A extends CallAddress<M>, R = CallOutput<M, A>>(
    address: A,
    ...args: CallArgs<CallInput<M, A>>
  ): Promise<NoInfer<R>>
  /**
   * Uncallable (no string is a `never`): it only keeps a typed context assignable to `Context`,
   * so it can be passed to helpers and plain handlers that take one.
   */
  call<O = unknown>(address: never, input?: unknown, options?: CallOptions): Promise<O>
  /** Fire-and-forget request: the address and the input are typed from `M`. */
  send<A extends CallAddress<M>>(address: A, ...args: CallArgs<CallInput<M, A>>): void
  /** Request-stream: the address, the opening input and the items are typed from `M`. */
  stream<A extends StreamAddress<M>, R = StreamItem<M, A>>(
    address: A,
    input?: StreamInput<M, A>,
    options?: CallOptions,
  ): AsyncIterable<NoInfer<R>>
  /** Uncallable; keeps a typed context assignable to `Context` (see `call`). */
  stream<O = unknown>(address: never, input?: unknown, options?: CallOptions): AsyncIterable<O>
}

/** `emit` checked against the topics `E`. */
export interface TypedEmit<E> {
  /** Publishes an event: the topic and its payload are typed from `E`. */
  emit<T extends EmitTopic<E>>(topic: T, ...args: EmitArgs<EmitPayload<E, T>>): void
}

/**
 * A handler's context with a typed view of other services (`M`, as for `Kernel<M>`) and of
 * topics (`E`). The object is the kernel's own context: only the compile-time view differs.
 * An empty `M` (or `E`) keeps that part untyped, exactly as `Context`.
 */
export type TypedContext<M = {}, E = {}> = Omit<Context, 'call' | 'send' | 'stream' | 'emit'> &
  ({} extends M ? Pick<Context, 'call' | 'send' | 'stream'> : TypedCalls<M>) &
  ({} extends E ? Pick<Context, 'emit'> : TypedEmit<E>)
