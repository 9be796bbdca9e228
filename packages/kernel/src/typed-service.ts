import { defineAction, defineService, type ActionSpec, type ServiceDefinition } from './service.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import type { TypedContext } from './typed-context.js'
import type { ServiceMap } from './typed-address.js'

/** `defineService` and `defineAction` whose handlers receive a `TypedContext<M, E>`. */
export interface TypedDefinitions<M, E> {
  /** Declares a service; its handlers' `ctx.call/send/stream/emit` are checked against `M`/`E`. */
  defineService<const D extends ServiceDefinition<string, TypedContext<M, E>>>(definition: D): D
  /** Declares one action with a schema; its handler's `ctx` is typed as in `defineService`. */
  defineAction<S extends StandardSchemaV1, O>(
    spec: Omit<ActionSpec<StandardSchemaV1.InferOutput<S>, O>, 'input' | 'handler'> & {
      input: S
      handler: (
        ctx: TypedContext<M, E>,
        input: StandardSchemaV1.InferOutput<S>,
      ) => O | PromiseLike<O>
    },
  ): ActionSpec<StandardSchemaV1.InferOutput<S>, O, TypedContext<M, E>>
}

const definitions = { defineService, defineAction } as TypedDefinitions<any, any>

/**
 * Gives handlers a typed view of the services they call and the topics they emit, without code
 * generation: `const { defineService } = withServices<{ orders: typeof orders }, Topics>()`.
 * Type-only (`import type { orders }` is enough); at run time it returns the plain
 * `defineService` and `defineAction`.
 */
export function withServices<M extends ServiceMap = {}, E extends object = {}>(): TypedDefinitions<
  M,
  E
> {
  return definitions
}
