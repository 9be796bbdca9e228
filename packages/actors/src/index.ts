/**
 * @plexus/actors — virtual actors over the kernel's mailboxes and the kv service: addressed by
 * key, activated on first message, one turn at a time, state saved with a revision check after
 * each turn, deactivated when idle; timers in memory, reminders durable in the store.
 *
 * @example
 * import { defineActor, actorProxy } from '@plexus/actors'
 * const counter = defineActor({
 *   name: 'counter',
 *   state: () => ({ n: 0 }),
 *   actions: { bump: (self, _: { id: string }) => ++self.state.n },
 *   queries: { get: (self, _: { id: string }) => self.state.n },
 * })
 * kernel.add(kvService({ backend: memoryBackend() })).add(counter)
 * await kernel.call('counter.bump', { id: 'a' }) // 1
 * await actorProxy(kernel, counter, 'a').bump({}) // 2
 */

/** Declares an actor type; it compiles to an ordinary service. */
export { defineActor, type ActorService } from './define-actor.js'
/** The shapes an actor type is written with. */
export type {
  ActorDefinition,
  ActorMarker,
  ActorMethod,
  ActorQuery,
  ActorSelf,
  ActorView,
  DeepReadonly,
  LeaseOptions,
  ReminderHandler,
  Schedule,
} from './actor-types.js'
/** A typed handle on one actor by key. */
export { actorProxy, type ActorProxy } from './actor-proxy.js'
/** The call chain carried in meta, and the error a call cycle is refused with. */
export { ACTOR_CHAIN, MAX_DEPTH, actorCycle, isActorCycle } from './actor-chain.js'
/** Where an actor's state is kept in the kv service. */
export { stateKey } from './actor-state.js'
/** A reminder as stored. */
export type { ReminderRecord } from './reminders.js'
/** The balancer routing each key to its owner node on a cluster. */
export { actorBalancer, ownerNode } from './actor-placement.js'
/** Where an actor's lease (strict mode) is kept, and its shape. */
export { leaseKey, type LeaseRecord } from './actor-lease.js'
