import { PlexusError, type ActionSpec, type Context, type LifecycleHook } from '@plexus/kernel'
import { Activation } from './activation.js'
import { ActorLeases } from './actor-leases.js'
import { ownerNode, placementView } from './actor-placement.js'
import { loadState } from './actor-state.js'
import { ActorTurns } from './actor-turns.js'
import type {
  ActorDefinition,
  ActorMarker,
  ActorMethod,
  ActorQuery,
  ReminderHandler,
} from './actor-types.js'
import { fireDueReminders } from './reminders.js'
import { TurnMethod, type TurnBody } from './turn-method.js'

type InputOf<F> = F extends (self: any, input: infer I) => any ? I : never
type OutputOf<F> = F extends (...args: any) => infer O ? Awaited<O> : never

type Compiled<M> = {
  [P in keyof M]: ActionSpec<InputOf<M[P]>, OutputOf<M[P]>> & {
    handler: (ctx: Context, input: InputOf<M[P]>) => Promise<OutputOf<M[P]>>
  }
}

/**
 * The service an actor type compiles to: one action per method and per query, plus `$remind`
 * and `$active`.
 */
export type ActorService<N extends string, K extends string, M, Q = Record<never, never>> = {
  name: N
  dependencies: string[]
  actions: Compiled<M> &
    Compiled<Q> & {
      /** Fires a reminder as a turn (called by the reminder scan through the kernel). */
      $remind: ActionSpec
      /** The keys active in this process, sorted (for status and tests). */
      $active: ActionSpec<unknown, string[]>
    }
  started: LifecycleHook
  stopped: LifecycleHook
} & ActorMarker<K>

const DEFAULT_IDLE = 10 * 60_000

// Queries left out infer as their constraint (an index signature): then there are none.
type Declared<Q> = string extends keyof Q ? Record<never, never> : Q

/**
 * Declares a virtual actor type and compiles it to an ordinary service (so every placement and
 * interceptor applies): `name.method` addressed with the key in the input (`{ id }` by
 * default). An actor is activated on its first message with its state from the kv service, runs
 * one turn at a time, saves its state with a revision check after each turn that changed it,
 * and deactivates when idle. `queries` only read the state: their turns are never compared or
 * saved.
 *
 * @example
 * const cart = defineActor({
 *   name: 'cart',
 *   state: () => ({ items: [] as string[] }),
 *   actions: {
 *     add: (self, { item }: { id: string; item: string }) => self.state.items.push(item),
 *   },
 *   queries: {
 *     items: (self, _: { id: string }) => self.state.items,
 *   },
 * })
 * kernel.add(kvService({ backend: fileBackend({ dir }) })).add(cart)
 * await kernel.call('cart.add', { id: 'u1', item: 'tea' }) // 1
 */
export function defineActor<
  const N extends string,
  S,
  const M extends Record<string, ActorMethod<S>>,
  // No default: a default would be the queries' contextual type, leaving their `self` untyped.
  const Q extends Record<string, ActorQuery<S>>,
  const K extends string = 'id',
>(definition: ActorDefinition<N, K, S, M, Q>): ActorService<N, K, M, Declared<Q>> {
  const { name } = definition
  const field = (definition.key ?? 'id') as K
  const store = definition.store ?? 'kv'
  const idle = definition.idle ?? DEFAULT_IDLE
  const reminders: Record<string, ReminderHandler<S>> = definition.reminders ?? {}
  const reentrant = definition.reentrant === true
  const active = new Map<string, Activation<S>>()
  const loading = new Map<string, Promise<Activation<S>>>()
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
        active.set(key, act)
        return act
      })
      loading.set(key, pending)
      const clear = () => loading.get(key) === pending && loading.delete(key)
      pending.then(clear, clear)
    }
    return pending
  }
  const turns = new ActorTurns<S>({
    name,
    store,
    reentrant,
    reminders,
    active,
    activate,
    drop,
    bus: () => bus,
  })

  const capacity = definition.queue ?? 1000
  // No serializeBy: the activation's gate is the key's mailbox (see ActorTurns).
  const spec = (m: string, body: TurnBody<S>, query: boolean): ActionSpec => {
    const method = new TurnMethod(`${name}.${m}`, body, query, capacity)
    return {
      handler: (ctx: Context, input: unknown) => turns.run(ctx, keyOf(input), method, input),
    }
  }

  const actions: Record<string, ActionSpec> = {}
  for (const [m, body] of Object.entries(definition.actions)) actions[m] = spec(m, body, false)
  for (const [m, body] of Object.entries(definition.queries ?? {})) {
    if (Object.hasOwn(actions, m)) {
      throw new PlexusError(
        'INVALID_DEFINITION',
        `Actor '${name}': '${m}' is both an action and a query (give it one role)`,
        { data: { actor: name, method: m } },
      )
    }
    // A query's self is a TurnSelf whose state is typed read-only (DeepReadonly<S>).
    actions[m] = spec(m, body as unknown as TurnBody<S>, true)
  }
  actions['$remind'] = spec(
    '$remind',
    (self, input: { reminder: string; payload?: unknown }) =>
      reminders[input.reminder]?.(self, input.payload),
    false,
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
    for (const act of active.values()) if (!act.busy && now - act.lastUsedAt(now) >= idle) drop(act)
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
  return service as unknown as ActorService<N, K, M, Declared<Q>>
}
