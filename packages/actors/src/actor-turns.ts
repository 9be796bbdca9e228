import { isThenable, PlexusError, type Context } from '@plexus/kernel'
import type { Activation } from './activation.js'
import { actorCycle, chainOf, MAX_DEPTH } from './actor-chain.js'
import { TurnSelf, type TurnHost } from './actor-self.js'
import { saveState } from './actor-state.js'
import type { ActorSelf, ReminderHandler, Schedule } from './actor-types.js'
import { firstDue } from './reminders.js'
import { TurnMethod } from './turn-method.js'

/** What the turns of an actor type need from its definition. */
export interface TurnsConfig<S> {
  /** The actor type's name. */
  name: string
  /** The kv service keeping state and reminders. */
  store: string
  /** Whether a call chain may re-enter an actor it holds. */
  reentrant: boolean
  /** Reminder handlers by name. */
  reminders: Record<string, ReminderHandler<S>>
  /** The activations of this process, by key. */
  active: ReadonlyMap<string, Activation<S>>
  /** Activates `key` (one load at a time per key). */
  activate(ctx: Context, key: string): Promise<Activation<S>>
  /** Deactivates `act` (no more turns; the next message reloads). */
  drop(act: Activation<S>): void
  /** The type's context on the bus, for timer turns (none while stopped). */
  bus(): Context | undefined
}

const RETRY = Symbol('retry on a fresh activation')
type Step<T> = T | typeof RETRY | Promise<T | typeof RETRY>

/**
 * The turn path of one actor type: activation when needed, the gate, the body, and the save
 * when the state changed. An active actor whose body is synchronous and leaves the state
 * untouched answers synchronously with no promise, no clock read and no serialisation. The
 * gate is the per-key mailbox (FIFO over every method, timer and reminder of the key, bounded
 * per method by its `TurnMethod` backlog); actions use no kernel `serializeBy`, whose keyed
 * mailbox costs more than a whole turn (see docs/actors.md).
 * A failed turn's changes are not committed: the activation is dropped, so the next message
 * reloads the committed state.
 */
export class ActorTurns<S> implements TurnHost<S> {
  readonly name: string
  readonly store: string
  readonly reminders: Record<string, ReminderHandler<S>>
  readonly #config: TurnsConfig<S>

  constructor(config: TurnsConfig<S>) {
    this.name = config.name
    this.store = config.store
    this.reminders = config.reminders
    this.#config = config
  }

  /**
   * Runs one turn for `key` with `input`. `only` (a timer's turn) runs on that activation or not
   * at all, with no call chain, and does not count as activity. Answers synchronously when it can.
   */
  run<T>(
    ctx: Context,
    key: string,
    method: TurnMethod<S>,
    input: unknown,
    only?: Activation<S>,
  ): T | undefined | Promise<T | undefined> {
    // A timer turn runs on the shared bus context: it starts a chain of its own, kept off
    // that context's meta.
    const incoming = only === undefined ? chainOf(ctx) : undefined
    const reentry = incoming !== undefined && incoming.length > 0 && this.#reenters(incoming, key)
    const act = only ?? this.#config.active.get(key)
    if (act === undefined) return this.#slow(ctx, key, method, input, incoming, reentry)
    const first: Step<T> = reentry
      ? this.#step(act, ctx, incoming, method, input)
      : this.#gated(act, ctx, incoming, method, input)
    // RETRY: the activation was dropped under the message; a timer's turn then just ends.
    if (!isThenable(first)) {
      if (first !== RETRY) return first
      return only !== undefined ? undefined : this.#slow(ctx, key, method, input, incoming, reentry)
    }
    return Promise.resolve(first).then((result) => {
      if (result !== RETRY) return result
      return only !== undefined
        ? undefined
        : this.#slow<T>(ctx, key, method, input, incoming, reentry)
    })
  }

  /** Starts (or replaces) a timer of `act`: each firing is a turn on that activation. */
  startTimer(
    act: Activation<S>,
    timer: string,
    schedule: Schedule,
    fire: (self: ActorSelf<S>) => unknown,
  ): void {
    const what = `Timer '${timer}' of '${this.name}/${act.key}'`
    const due = firstDue(schedule, Date.now(), what)
    const method = new TurnMethod<S>(what, fire, false, Infinity)
    clearTimeout(act.timers.get(timer))
    const handle = setTimeout(
      () => {
        if (schedule.every === undefined) act.timers.delete(timer)
        else this.startTimer(act, timer, { in: schedule.every, every: schedule.every }, fire)
        const ctx = this.#config.bus()
        if (ctx === undefined || act.dropped) return
        // run() answers synchronously when it can, and may throw: make it one promise here.
        ;(async () => this.run(ctx, act.key, method, undefined, act))().catch((error: unknown) =>
          ctx.logger.warn(
            { err: error, actor: this.name, key: act.key, timer },
            'Actor timer turn failed',
          ),
        )
      },
      Math.max(0, due - Date.now()),
    )
    handle.unref?.()
    act.timers.set(timer, handle)
  }

  // True when the chain already holds this actor (a reentrant turn); throws for a cycle.
  #reenters(incoming: readonly string[], key: string): boolean {
    const me = `${this.name}/${key}`
    const reentry = incoming.includes(me)
    if (reentry && !this.#config.reentrant) throw actorCycle(incoming, me)
    if (incoming.length >= MAX_DEPTH) {
      throw new PlexusError(
        'INVALID_STATE',
        `Actor call chain deeper than ${MAX_DEPTH} at '${me}'`,
        { data: { cycle: [...incoming, me] } },
      )
    }
    return reentry
  }

  // Through the gate: at once when no turn waits or runs, else after those queued.
  #gated<T>(
    act: Activation<S>,
    ctx: Context,
    incoming: readonly string[] | undefined,
    method: TurnMethod<S>,
    input: unknown,
  ): Step<T> {
    if (!act.enter()) {
      method.wait()
      return act.later(() => {
        method.resume(ctx)
        return this.#step<T>(act, ctx, incoming, method, input)
      })
    }
    let result: Step<T>
    try {
      result = this.#step(act, ctx, incoming, method, input)
    } catch (error) {
      act.leave()
      throw error
    }
    if (!isThenable(result)) {
      act.leave()
      return result
    }
    const running = Promise.resolve(result)
    act.leave(running)
    return running
  }

  // The key is not active here: activate it (one load per key), counted as waiting meanwhile.
  async #slow<T>(
    ctx: Context,
    key: string,
    method: TurnMethod<S>,
    input: unknown,
    incoming: readonly string[] | undefined,
    reentry: boolean,
  ): Promise<T | undefined> {
    for (let attempt = 1; attempt < 3; attempt++) {
      let act = this.#config.active.get(key)
      if (act === undefined) {
        method.wait()
        try {
          act = await this.#config.activate(ctx, key)
        } catch (error) {
          method.waiting--
          throw error
        }
        method.resume(ctx)
      }
      const result = await (reentry
        ? this.#step<T>(act, ctx, incoming, method, input)
        : this.#gated<T>(act, ctx, incoming, method, input))
      if (result !== RETRY) return result
    }
    throw new PlexusError(
      'UNAVAILABLE',
      `Actor '${this.name}/${key}' could not be activated; try again`,
      { retryable: true, data: { actor: this.name, key } },
    )
  }

  // One turn's body on `act`, then its commit.
  #step<T>(
    act: Activation<S>,
    ctx: Context,
    incoming: readonly string[] | undefined,
    method: TurnMethod<S>,
    input: unknown,
  ): Step<T> {
    if (act.dropped) return RETRY
    // Strict mode: a turn starts only with the lease held for a good part of its length.
    const lease = act.lease
    if (lease !== undefined && !lease.held(lease.ttl / 2)) {
      return lease.take(ctx).then(
        () => this.#step<T>(act, ctx, incoming, method, input),
        (error: unknown) => this.#failed(act, error),
      )
    }
    const self = new TurnSelf(this, act, ctx, incoming, method.query)
    try {
      const answer = method.body(self, input) as T | PromiseLike<T>
      const done = isThenable(answer)
        ? Promise.resolve(answer).then((a) => this.#commit(act, ctx, self, a, incoming))
        : this.#commit(act, ctx, self, answer, incoming)
      return isThenable(done)
        ? Promise.resolve(done).catch((e: unknown) => this.#failed(act, e))
        : done
    } catch (error) {
      return this.#failed(act, error)
    }
  }

  // After the body: the save when the state may have changed and did, then activity and leaving.
  #commit<T>(
    act: Activation<S>,
    ctx: Context,
    self: TurnSelf<S>,
    answer: T,
    incoming: readonly string[] | undefined,
  ): T | Promise<T> {
    if (self.mayHaveChanged()) {
      const after = JSON.stringify(act.state)
      if (after !== act.snapshot) {
        return saveState(ctx, this.store, this.name, act.key, act.state, act.revision).then(
          (revision) => {
            act.revision = revision
            act.snapshot = after
            return this.#ended(act, answer, incoming)
          },
        )
      }
    }
    return this.#ended(act, answer, incoming)
  }

  #ended<T>(act: Activation<S>, answer: T, incoming: readonly string[] | undefined): T {
    if (incoming !== undefined) act.used = true // a timer's turn is no activity
    if (act.leaving) this.#config.drop(act)
    return answer
  }

  #failed(act: Activation<S>, error: unknown): never {
    this.#config.drop(act)
    throw error
  }
}
