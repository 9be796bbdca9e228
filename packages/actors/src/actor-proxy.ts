import type { CallOptions } from '@plexus/kernel'
import type { ActorMarker } from './actor-types.js'

type Caller = { call(address: any, ...args: any[]): Promise<any> }
type Methods<D> = D extends { actions: infer A } ? Omit<A, '$remind' | '$active'> : never
type In<E> = E extends { handler: (ctx: any, input: infer I) => any } ? I : never
type Out<E> = E extends { handler: (...args: any) => Promise<infer O> } ? O : never

/** One actor seen through its methods: the key is filled in, the rest of the input is typed. */
export type ActorProxy<D, K extends string> = {
  [P in keyof Methods<D> & string]: (
    input: Omit<In<Methods<D>[P]>, K>,
    options?: CallOptions,
  ) => Promise<Out<Methods<D>[P]>>
}

/**
 * A typed handle on one actor: `actorProxy(kernel, cart, 'u1').add({ item })` calls
 * `cart.add` with `{ id: 'u1', item }` through `caller` (a kernel or a handler's `ctx`).
 */
export function actorProxy<const D extends { name: string } & ActorMarker<K>, K extends string>(
  caller: Caller,
  actor: D,
  key: string,
): ActorProxy<D, D['actorKey']> {
  return new Proxy({} as ActorProxy<D, D['actorKey']>, {
    get: (_target, method) =>
      typeof method !== 'string'
        ? undefined
        : (input: object = {}, options?: CallOptions) =>
            caller.call(`${actor.name}.${method}`, { ...input, [actor.actorKey]: key }, options),
  })
}
