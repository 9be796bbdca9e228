import type { Context } from '@plexus/kernel'

/** When a reminder or timer fires: after `in` ms (or at `at`, epoch ms), then every `every` ms. */
export interface Schedule {
  /** Milliseconds from now until the first firing (default 0). */
  in?: number
  /** Absolute time of the first firing (epoch ms); wins over `in`. */
  at?: number
  /** Fire again this many ms after each firing; once when absent. */
  every?: number
}

/** What an actor's method sees: its key, its state, the message's context and its schedules. */
export interface ActorSelf<S> {
  /** The actor's key (its id). */
  readonly key: string
  /** The state; mutate it or assign a new one. Saved after the turn when it changed. */
  state: S
  /** The context of the message being handled (deadline, meta, `call`, `emit`...). */
  readonly ctx: Context
  /**
   * Starts (or replaces) a timer: an in-memory schedule that runs `fire` as a turn of this
   * actor. Timers are lost when the actor deactivates and do not keep it active.
   */
  timer(name: string, schedule: Schedule, fire: (self: ActorSelf<S>) => unknown): void
  /** Cancels a timer; false when there was none. */
  cancelTimer(name: string): boolean
  /**
   * Sets (or replaces) a durable reminder, kept in the store: it fires the actor's reminder
   * handler `name`, activating the actor, even after a kernel restart.
   */
  remind(name: string, schedule: Schedule, payload?: unknown): Promise<void>
  /** Removes a reminder; false when there was none. */
  forget(name: string): Promise<boolean>
  /** Deactivates the actor after this turn (its state is saved first, when changed). */
  deactivate(): void
}

/** One method of an actor: runs as one turn with the actor's state. */
export type ActorMethod<S, I = any, O = unknown> = (
  self: ActorSelf<S>,
  input: I,
) => O | PromiseLike<O>

/** A value seen read-only all the way down: what a query gets of the state (plain JSON). */
export type DeepReadonly<T> = T extends (...args: any[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
      : T

/** What a query sees: its actor's `self` with the state read-only. */
export interface ActorView<S> extends Omit<ActorSelf<S>, 'state'> {
  /** The state, read-only: a query's turn is never saved, so it must not change it. */
  readonly state: DeepReadonly<S>
}

/**
 * One query of an actor: a turn that only reads the state, so it skips the change check
 * (Orleans' `[ReadOnly]`). Assigning `self.state` in one fails `INVALID_STATE`.
 */
export type ActorQuery<S, I = any, O = unknown> = (
  self: ActorView<S>,
  input: I,
) => O | PromiseLike<O>

/** A reminder handler: runs as one turn when the reminder fires. */
export type ReminderHandler<S> = (self: ActorSelf<S>, payload: unknown) => unknown

/** An actor type: what `defineActor` compiles into a service. */
export interface ActorDefinition<
  N extends string,
  K extends string,
  S,
  M extends Record<string, ActorMethod<S>>,
  Q extends Record<string, ActorQuery<S>> = Record<never, never>,
> {
  /** The service name: methods are addressed `name.method`. */
  name: N
  /** The input field holding the actor's key (default `id`); every message must carry it. */
  key?: K
  /** The state of an actor never saved before. */
  state: () => S
  /** The methods, each a turn: `(self, input) => answer`; saved when it changed the state. */
  actions: M
  /**
   * Methods that only read the state: turns like any other (one at a time, in order) that
   * never compare or save it. A name must not also be an action.
   */
  queries?: Q
  /** Reminder handlers by name (see `self.remind`). */
  reminders?: Record<string, ReminderHandler<S>>
  /** Deactivate an actor after this many ms without a message or reminder (default 10 min). */
  idle?: number
  /** The kv service keeping state and reminders (default `kv`). */
  store?: string
  /** Messages queued per method before OVERLOADED (default 1000). */
  queue?: number
  /** Let a call chain re-enter an actor it already holds (default false: a typed error). */
  reentrant?: boolean
  /** How often due reminders are looked for, in ms (default 1000). */
  reminderScan?: number
  /**
   * Strict single activation on a cluster: an activation first takes a lease in the store
   * (renewed while active, released on deactivation), and a message for a key another live
   * node holds is refused UNAVAILABLE (retryable). The reminder scan is then elected too: one
   * scanner per cluster. Off by default (compare-and-set fencing alone: no lost update).
   */
  lease?: boolean | LeaseOptions
}

/** Options of an actor type's leases. */
export interface LeaseOptions {
  /** How long a lease holds without renewal, in ms (default 10 s); renewed every third of it. */
  ttl?: number
  /** The node id named to callers refused (default `<hostname>-<pid>`, the kernel's default). */
  node?: string
}

/** What a compiled actor keeps for its proxy: the key field. */
export interface ActorMarker<K extends string> {
  /** The input field holding the key. */
  readonly actorKey: K
}
