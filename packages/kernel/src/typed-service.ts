import {
  defineAction,
  defineService,
  type ActionSpec,
  type EventDefinition,
  type ServiceDefinition,
} from './service.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { TypedContext } from './typed-context.js'
import type { ServiceMap } from './typed-address.js'

/**
 * Event subscriptions of a typed service: a pattern naming a declared topic gets that topic's
 * payload type; any other pattern (wildcards) keeps an untyped payload.
 */
export type TypedEvents<E, C> = { [T in keyof E & string]?: EventDefinition<E[T], C> } & Record<
  string,
  EventDefinition<any, C>
>

/** A service definition whose handlers receive a `TypedContext<M, E>`. */
export type TypedServiceDefinition<M, E> = Omit<
  ServiceDefinition<string, TypedContext<M, E>>,
  'events'
> & {
  /** Event subscriptions by topic pattern; declared topics type the payload. */
  events?: TypedEvents<E, TypedContext<M, E>>
}

/**
 * `defineService` and `defineAction` whose handlers receive a `TypedContext<M, E>` (plain
 * functions, safe to destructure).
 */
export interface TypedDefinitions<M, E> {
  /** Declares a service; its handlers' `ctx.call/send/stream/emit` are checked against `M`/`E`. */
  readonly defineService: <const D extends TypedServiceDefinition<M, E>>(definition: D) => D
  /** Declares one action with a schema; its handler's `ctx` is typed as in `defineService`. */
  readonly defineAction: <S extends StandardSchemaV1, O>(
    spec: Omit<ActionSpec<StandardSchemaV1.InferOutput<S>, O>, 'input' | 'handler'> & {
      input: S
      handler: (
        ctx: TypedContext<M, E>,
        input: StandardSchemaV1.InferOutput<S>,
      ) => O | PromiseLike<O>
    },
  ) => ActionSpec<StandardSchemaV1.InferOutput<S>, O, TypedContext<M, E>>
}

const definitions = { defineService, defineAction } as TypedDefinitions<any, any>

/**
 * Gives handlers a typed view of the services they call (`M`, by name, as for `Kernel<M>`) and
 * of the topics they emit and subscribe to (`E`: payload type by topic), without code
 * generation: `const { defineService } = withServices<{ orders: typeof orders }, Topics>()`.
 * Type-only (`import type { orders }` is enough, so a worker never loads the callee's code); at
 * run time it returns the plain `defineService` and `defineAction`.
 */
export function withServices<M extends ServiceMap = {}, E extends object = {}>(): TypedDefinitions<
  M,
  E
> {
  return definitions
}
