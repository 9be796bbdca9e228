import {
  isThenable,
  PlexusError,
  type ActionSpec,
  type Context,
  type LifecycleHook,
} from '@plexus/kernel'
import { Activation } from './activation.js'
import { ActorLeases } from './actor-leases.js'
import { ownerNode, placementView } from './actor-placement.js'
import { actorCycle, chainOf, MAX_DEPTH, setChain } from './actor-chain.js'
import { loadState, saveState } from './actor-state.js'
import type {
  ActorDefinition,
  ActorMarker,
  ActorMethod,
  ActorSelf,
  ReminderHandler,
  Schedule,
} from './actor-types.js'
import { fireDueReminders, firstDue, forgetReminder, setReminder } from './reminders.js'

type InputOf<F> = F extends (self: any, input: infer I) => any ? I : never
type OutputOf<F> = F extends (...args: any) => infer O ? Awaited<O> : never

/** The service an actor type compiles to: one action per method, plus `$remind` and `$active`. */
export type ActorService<N extends string, K extends string, M> = {
  name: N
  dependencies: string[]
  actions: {
    [P in keyof M]: ActionSpec<InputOf<M[P]>, OutputOf<M[P]>> & {
      handler: (ctx: Context, input: InputOf<M[P]>) => Promise<OutputOf<M[P]>>
    }
  } & {
    /** Fires a reminder as a turn (called by the reminder scan through the kernel). */
    $remind: ActionSpec
    /** The keys active in this process, sorted (for status and tests). */
    $active: ActionSpec<unknown, string[]>
  }
  started: LifecycleHook
  stopped: LifecycleHook
} & ActorMarker<K>

const DEFAULT_IDLE = 10 * 60_000
const RETRY = Symbol('retry on a fresh activation')

/**
 * Declares a virtual actor type and compiles it to an ordinary service (so every placement and
 * interceptor applies): `name.method` addressed with the key in the input (`{ id }` by
 * default). An actor is activated on its first message with its state from the kv service, runs
 * one turn at a time, saves its state with a revision check after each turn that changed it,
 * and deactivates when idle.
 *
 * @example
 * const cart = defineActor({
 *   name: 'cart',
 *   state: () => ({ items: [] as string[] }),
 *   actions: {
 *     add: (self, { item }: { id: string; item: string }) => self.state.items.push(item),
 *     get: (self, _: { id: string }) => self.state,
 *   },
 * })
 * kernel.add(kvService({ backend: fileBackend({ dir }) })).add(cart)
 * await kernel.call('cart.add', { id: 'u1', item: 'tea' }) // 1
 */
export function defineActor<
  const N extends string,
  S,
  const M extends Record<string, ActorMethod<S>>,
  const K extends string = 'id',
>(definition: ActorDefinition<N, K, S, M>): ActorService<N, K, M> {
  const { name } = definition
  const field = (definition.key ?? 'id') as K
  const store = definition.store ?? 'kv'
  const idle = definition.idle ?? DEFAULT_IDLE
  const reminders: Record<string, ReminderHandler<S>> = definition.reminders ?? {}
  const reentrant = definition.reentrant === true
  const active = new Map<string, Activation<S>>()
  const loading = new Map<string, Promise<Activation<S>>>()
  const snapshots = new WeakMap<Activation<S>, string>()
  let bus: Context | undefined
  const leases =
    definition.lease === undefined || definition.lease === false
      ? undefined
      : new ActorLeases(name, store, definition.lease, definition.reminderScan ?? 1000)
  let instances = 0
  let loops: ReturnType<typeof setInterval>[] = []

  const keyOf = (input: unknown): string => {
    const value = (input as Record<string, unknown> | null | undefined)?.[field]
    if (typeof value !== 'string' || value === '') {
      throw new PlexusError(
        'VALIDATION',
        `Actor '${name}': '${field}' (the actor's key) must be a non-empty string, got ${JSON.stringify(value)}`,
        { data: { field, value } },
      )
    }
    return value
  }
  const drop = (act: Activation<S>): void => {
    act.dropped = true
    act.clearTimers()
    if (active.get(act.key) === act) active.delete(act.key)
    if (act.lease !== undefined) leases?.release(bus, act.lease)
  }
  // The key's owner by this node's balancer view is another node (see actorBalancer).
  const movedAway = (key: string): boolean => {
    const view = placementView(service)
    return view?.self !== undefined && ownerNode(key, view.nodes) !== view.self
  }
  const activate = (ctx: Context, key: string): Promise<Activation<S>> => {
    let pending = loading.get(key)
    if (pending === undefined) {
      // Strict mode: the lease first, so a refused activation never reads the state.
      pending = (leases?.take(ctx, key) ?? Promise.resolve(undefined)).then(async (lease) => {
        let entry
        try {
          entry = await loadState(ctx, store, name, key)
        } catch (error) {
          if (lease !== undefined) leases?.release(bus, lease)
          throw error
        }
        const state = (entry === null ? definition.state() : entry.value) as S
        const act = new Activation(key, state, entry?.revision ?? 0, Date.now())
        if (lease !== undefined)
          leases?.keep(
            act,
            lease,
            () => bus,
            movedAway,
            () => drop(act),
          )
        snapshots.set(act, JSON.stringify(state))
        active.set(key, act)
        return act
      })
      loading.set(key, pending)
      const clear = () => loading.get(key) === pending && loading.delete(key)
      pending.then(clear, clear)
    }
    return pending
  }
  // One small object per turn, its methods on a prototype shared by the type's turns.
  class Self implements ActorSelf<S> {
    constructor(
      readonly act: Activation<S>,
      readonly ctx: Context,
    ) {}
    get key(): string {
      return this.act.key
    }
    get state(): S {
      return this.act.state
    }
    set state(next: S) {
      this.act.state = next
    }
    timer(timer: string, schedule: Schedule, fire: (self: ActorSelf<S>) => unknown): void {
      startTimer(this.act, timer, schedule, fire)
    }
    cancelTimer(timer: string): boolean {
      clearTimeout(this.act.timers.get(timer))
      return this.act.timers.delete(timer)
    }
    async remind(reminder: string, schedule: Schedule, payload?: unknown): Promise<void> {
      if (reminders[reminder] === undefined) {
        throw new PlexusError(
          'INVALID_ARGUMENT',
          `Actor '${name}' has no reminder handler '${reminder}' (declare it in reminders)`,
          { data: { reminder, known: Object.keys(reminders) } },
        )
      }
      const key = this.act.key
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
      return forgetReminder(this.ctx, store, name, this.act.key, reminder)
    }
    deactivate(): void {
      this.act.leaving = true
    }
  }

  /** After the body: the save when the state changed, then activity and leaving. */
  const commit = <T>(act: Activation<S>, ctx: Context, activity: boolean, answer: T) => {
    const after = JSON.stringify(act.state)
    const done = (): T => {
      if (activity) act.lastUsed = Date.now()
      if (act.leaving) drop(act)
      return answer
    }
    if (after === snapshots.get(act)) return done()
    return saveState(ctx, store, name, act.key, act.state, act.revision).then((revision) => {
      act.revision = revision
      snapshots.set(act, after)
      return done()
    })
  }

  /**
   * One turn's body on `act`: synchronous end to end when the body is and the state did not
   * change (then no promise is made at all), else a promise. A failed turn's changes are not
   * committed: the activation is dropped, so the next message reloads the committed state.
   */
  const step = <T>(
    act: Activation<S>,
    ctx: Context,
    chain: readonly string[] | undefined,
    body: (self: ActorSelf<S>) => T | PromiseLike<T>,
    activity: boolean,
  ): T | typeof RETRY | Promise<T | typeof RETRY> => {
    if (act.dropped) return RETRY
    const failed = (error: unknown): never => {
      drop(act)
      throw error
    }
    // Strict mode: a turn starts only with the lease held for a good part of its length.
    const lease = act.lease
    if (lease !== undefined && !lease.held(lease.ttl / 2)) {
      return lease.take(ctx).then(() => step(act, ctx, chain, body, activity), failed)
    }
    try {
      if (chain !== undefined) setChain(ctx, chain)
      const answer = body(new Self(act, ctx))
      const settled = isThenable(answer)
        ? Promise.resolve(answer).then((a) => commit(act, ctx, activity, a))
        : commit(act, ctx, activity, answer)
      return isThenable(settled) ? Promise.resolve(settled).catch(failed) : settled
    } catch (error) {
      return failed(error)
    }
  }

  /** Runs one turn for `key`: activation, the body, the save when the state changed. */
  const turn = <T>(
    ctx: Context,
    key: string,
    body: (self: ActorSelf<S>) => T | PromiseLike<T>,
    options: { activity: boolean; only?: Activation<S> },
  ): T | undefined | Promise<T | undefined> => {
    // A timer turn runs on the shared bus context: it starts a chain of its own, kept off
    // that context's meta.
    const own = options.only === undefined
    const incoming = own ? chainOf(ctx) : []
    const me = `${name}/${key}`
    const reentry = incoming.includes(me)
    if (reentry && !reentrant) throw actorCycle(incoming, me)
    if (incoming.length >= MAX_DEPTH) {
      throw new PlexusError(
        'INVALID_STATE',
        `Actor call chain deeper than ${MAX_DEPTH} at '${me}'`,
        {
          data: { cycle: [...incoming, me] },
        },
      )
    }
    const chain = own ? [...incoming, me] : undefined
    const once = (act: Activation<S>) => () => step(act, ctx, chain, body, options.activity)
    // The common case, an active actor: no activation, and no promise when nothing waits.
    const current = options.only ?? active.get(key)
    if (current === undefined) return slow(1)
    const first = reentry ? once(current)() : current.now(once(current))
    if (!isThenable(first)) return first === RETRY ? retried(1) : first
    return Promise.resolve(first).then((result) => (result === RETRY ? retried(1) : result))

    function retried(attempt: number): undefined | Promise<T | undefined> {
      return options.only !== undefined ? undefined : slow(attempt) // a dropped timer's turn
    }
    async function slow(from: number): Promise<T | undefined> {
      for (let attempt = from; attempt < 3; attempt++) {
        const act = options.only ?? active.get(key) ?? (await activate(ctx, key))
        const result = reentry ? await once(act)() : await act.now(once(act))
        if (result !== RETRY) return result
        if (options.only !== undefined) return undefined
      }
      throw new PlexusError('UNAVAILABLE', `Actor '${me}' could not be activated; try again`, {
        retryable: true,
        data: { actor: name, key },
      })
    }
  }

  const startTimer = (
    act: Activation<S>,
    timer: string,
    schedule: Schedule,
    fire: (self: ActorSelf<S>) => unknown,
  ): void => {
    const due = firstDue(schedule, Date.now(), `Timer '${timer}' of '${name}/${act.key}'`)
    clearTimeout(act.timers.get(timer))
    const handle = setTimeout(
      () => {
        if (schedule.every === undefined) act.timers.delete(timer)
        else startTimer(act, timer, { in: schedule.every, every: schedule.every }, fire)
        const ctx = bus
        if (ctx === undefined || act.dropped) return
        // turn() answers synchronously when it can, and may throw: make it one promise here.
        ;(async () => turn(ctx, act.key, fire, { activity: false, only: act }))().catch(
          (error: unknown) =>
            ctx.logger.warn(
              { err: error, actor: name, key: act.key, timer },
              'Actor timer turn failed',
            ),
        )
      },
      Math.max(0, due - Date.now()),
    )
    handle.unref?.()
    act.timers.set(timer, handle)
  }

  const method =
    <I>(body: ActorMethod<S, I>) =>
    (ctx: Context, input: I) =>
      turn(ctx, keyOf(input), (self) => body(self, input), { activity: true })

  const spec = <I>(body: ActorMethod<S, I>): ActionSpec<I> => ({
    handler: method(body),
    queue: definition.queue ?? 1000,
    // One turn per key at a time, FIFO, other keys in parallel. A call that re-enters a key
    // its own chain holds is refused here, before it queues behind the turn waiting for it.
    serializeBy: (input: I, ctx: Context) => {
      const key = keyOf(input)
      const chain = chainOf(ctx)
      if (chain.includes(`${name}/${key}`)) {
        if (!reentrant) throw actorCycle(chain, `${name}/${key}`)
        return Symbol('reentrant turn')
      }
      return key
    },
  })

  const actions: Record<string, ActionSpec> = {}
  for (const [m, body] of Object.entries(definition.actions)) actions[m] = spec(body)
  actions['$remind'] = spec((self, input: { reminder: string; payload?: unknown }) =>
    reminders[input.reminder]?.(self, input.payload),
  )
  actions['$active'] = { handler: () => [...active.keys()].sort() }

  const scan = (() => {
    let scanning = false
    return () => {
      const ctx = bus
      if (scanning || ctx === undefined || Object.keys(reminders).length === 0) return
      scanning = true
      // With leases, one scanner per cluster: the holder of the type's scan lease.
      const elected = leases === undefined ? Promise.resolve(true) : leases.elected(ctx)
      elected
        .then((mine) =>
          mine
            ? fireDueReminders(
                ctx,
                store,
                name,
                Date.now(),
                (r) =>
                  ctx.call(`${name}.$remind`, {
                    [field]: r.key,
                    reminder: r.name,
                    payload: r.payload,
                  }),
                ctx.logger,
              )
            : undefined,
        )
        .catch((error: unknown) =>
          ctx.logger.warn({ err: error, actor: name }, 'Reminder scan failed'),
        )
        .finally(() => (scanning = false))
    }
  })()
  const sweep = () => {
    const now = Date.now()
    for (const act of active.values()) if (!act.busy && now - act.lastUsed >= idle) drop(act)
  }

  const service = {
    name,
    actorKey: field,
    dependencies: [store],
    actions,
    started: (ctx: Context) => {
      if (instances++ > 0) return
      // The started context is this actor type's handle on the bus for work outside any
      // message (timers, the reminder scan); lifted from the start timeout's deadline.
      // (The kernel's contexts can lift their deadline; a guest's has none to lift.)
      ;(ctx as { unbound?: () => void }).unbound?.()
      bus = ctx
      const every = (ms: number, fn: () => void) => {
        const loop = setInterval(fn, ms)
        loop.unref?.()
        loops.push(loop)
      }
      if (Number.isFinite(idle)) every(Math.max(10, Math.min(idle / 2, 30_000)), sweep)
      every(definition.reminderScan ?? 1000, scan)
      scan()
    },
    stopped: () => {
      if (--instances > 0) return
      for (const loop of loops) clearInterval(loop)
      loops = []
      for (const act of [...active.values()]) drop(act)
      if (leases === undefined) return void (bus = undefined)
      leases.release(bus, leases.scan)
      // Leases are given up before the store stops (it is a dependency: it stops after this).
      return leases.settled().then(() => void (bus = undefined))
    },
  }
  return service as unknown as ActorService<N, K, M>
}
