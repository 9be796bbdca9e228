import { PlexusError, type Context } from '@plexus/kernel'
import type { Activation } from './activation.js'
import { setChain } from './actor-chain.js'
import type { ActorSelf, ReminderHandler, Schedule } from './actor-types.js'
import { firstDue, forgetReminder, setReminder } from './reminders.js'

/** What a turn's `self` needs from its actor type. */
export interface TurnHost<S> {
  /** The actor type's name. */
  readonly name: string
  /** The kv service keeping state and reminders. */
  readonly store: string
  /** Reminder handlers by name. */
  readonly reminders: Record<string, ReminderHandler<S>>
  /** Starts (or replaces) a timer of `act`. */
  startTimer(
    act: Activation<S>,
    timer: string,
    schedule: Schedule,
    fire: (self: ActorSelf<S>) => unknown,
  ): void
}

/**
 * The `self` of one turn: one small object per turn, its methods on a prototype shared by every
 * actor type. It notes whether the body touched the state (read or assigned it), so a turn that
 * never did is not compared, and it puts the call chain in meta only when the body asks for
 * `ctx` — the only way a turn makes a call that could come back to this actor.
 */
export class TurnSelf<S> implements ActorSelf<S> {
  readonly #host: TurnHost<S>
  readonly #act: Activation<S>
  readonly #ctx: Context
  // The chain this message came with; undefined once set in meta, or for a timer turn.
  #incoming: readonly string[] | undefined
  readonly #query: boolean
  #touched = false

  constructor(
    host: TurnHost<S>,
    act: Activation<S>,
    ctx: Context,
    incoming: readonly string[] | undefined,
    query: boolean,
  ) {
    this.#host = host
    this.#act = act
    this.#ctx = ctx
    this.#incoming = incoming
    this.#query = query
  }

  /** Whether the state may have changed: the body read or assigned it, and is no query. */
  mayHaveChanged(): boolean {
    return this.#touched && !this.#query
  }

  get key(): string {
    return this.#act.key
  }

  get state(): S {
    this.#touched = true
    return this.#act.state
  }

  set state(next: S) {
    if (this.#query) {
      throw new PlexusError(
        'INVALID_STATE',
        `Actor '${this.#host.name}/${this.#act.key}': a query cannot assign the state (make it an action)`,
      )
    }
    this.#touched = true
    this.#act.state = next
  }

  get ctx(): Context {
    const incoming = this.#incoming
    if (incoming !== undefined) {
      this.#incoming = undefined
      setChain(this.#ctx, [...incoming, `${this.#host.name}/${this.#act.key}`])
    }
    return this.#ctx
  }

  timer(timer: string, schedule: Schedule, fire: (self: ActorSelf<S>) => unknown): void {
    this.#host.startTimer(this.#act, timer, schedule, fire)
  }

  cancelTimer(timer: string): boolean {
    clearTimeout(this.#act.timers.get(timer))
    return this.#act.timers.delete(timer)
  }

  async remind(reminder: string, schedule: Schedule, payload?: unknown): Promise<void> {
    const { name, store, reminders } = this.#host
    if (reminders[reminder] === undefined) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Actor '${name}' has no reminder handler '${reminder}' (declare it in reminders)`,
        { data: { reminder, known: Object.keys(reminders) } },
      )
    }
    const key = this.#act.key
    const due = firstDue(schedule, Date.now(), `Reminder '${reminder}' of '${name}/${key}'`)
    await setReminder(this.ctx, store, {
      actor: name,
      key,
      name: reminder,
      due,
      ...(schedule.every === undefined ? {} : { every: schedule.every }),
      ...(payload === undefined ? {} : { payload }),
    })
  }

  forget(reminder: string): Promise<boolean> {
    return forgetReminder(this.ctx, this.#host.store, this.#host.name, this.#act.key, reminder)
  }

  deactivate(): void {
    this.#act.leaving = true
  }
}
