import type { CallOptions } from './context.js'
import type { ServiceDefinition } from './service.js'

/** The services a kernel knows at compile time, by name. */
export type ServiceMap = Record<string, ServiceDefinition>

type ActionsOf<D> = D extends { actions: infer A } ? A : {}
type StreamsOf<D> = D extends { streams: infer A } ? A : {}
type VersionOf<D> = D extends { version: infer V extends number } ? V : 1

type ActionKeys<M> = {
  [N in keyof M & string]:
    | `${N}.${keyof ActionsOf<M[N]> & string}`
    | `${N}@${VersionOf<M[N]>}.${keyof ActionsOf<M[N]> & string}`
}[keyof M & string]

type StreamKeys<M> = {
  [N in keyof M & string]:
    | `${N}.${keyof StreamsOf<M[N]> & string}`
    | `${N}@${VersionOf<M[N]>}.${keyof StreamsOf<M[N]> & string}`
}[keyof M & string]

/** Addresses callable on a kernel with services `M`; any string while `M` is empty. */
export type CallAddress<M> = {} extends M ? string : ActionKeys<M>

/** Addresses of request-streams on a kernel with services `M`. */
export type StreamAddress<M> = {} extends M ? string : StreamKeys<M>

type Split<A> = A extends `${infer N}@${string}.${infer X}`
  ? [N, X]
  : A extends `${infer N}.${infer X}`
    ? [N, X]
    : never

type Entry<M, A, K extends 'actions' | 'streams'> =
  Split<A> extends [infer N, infer X]
    ? N extends keyof M
      ? M[N] extends { [P in K]: infer R }
        ? X extends keyof R
          ? R[X]
          : never
        : never
      : never
    : never

type InputOfEntry<E> = E extends { handler: (ctx: any, input: infer I) => any }
  ? I
  : E extends (ctx: any, input: infer I) => any
    ? I
    : unknown

type OutputOfEntry<E> = E extends { handler: (...args: any) => infer O }
  ? Awaited<O>
  : E extends (...args: any) => infer O
    ? Awaited<O>
    : unknown

type ItemOfEntry<E> = OutputOfEntry<E> extends AsyncIterable<infer T> ? T : unknown

/** The input type of action `A` on services `M`. */
export type CallInput<M, A> = {} extends M ? unknown : InputOfEntry<Entry<M, A, 'actions'>>
/** The answer type of action `A` on services `M`. */
export type CallOutput<M, A> = {} extends M ? unknown : OutputOfEntry<Entry<M, A, 'actions'>>
/** The input type of stream `A` on services `M`. */
export type StreamInput<M, A> = {} extends M ? unknown : InputOfEntry<Entry<M, A, 'streams'>>
/** The item type of stream `A` on services `M`. */
export type StreamItem<M, A> = {} extends M ? unknown : ItemOfEntry<Entry<M, A, 'streams'>>

/** `M` with definition `D` added under its name (a second version joins the first as a union). */
export type WithService<M, D extends ServiceDefinition> = {
  [K in keyof M | D['name']]: K extends D['name']
    ? K extends keyof M
      ? M[K] | D
      : D
    : M[K & keyof M]
}

/** The arguments of `call`/`send`: the input is optional only when it may be undefined. */
export type CallArgs<I> = unknown extends I
  ? [input?: I, options?: CallOptions]
  : undefined extends I
    ? [input?: I, options?: CallOptions]
    : [input: I, options?: CallOptions]
