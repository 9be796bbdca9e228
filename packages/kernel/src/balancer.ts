import type { Meta } from './context.js'
import { PlexusError } from './errors.js'

/** What a balancing strategy sees of an instance. */
export interface Balanceable {
  /** Unique instance id. */
  readonly id: string
  /** Figures used for choosing. */
  readonly stats: { readonly inFlight: number; readonly consecutiveErrors: number }
}

/** A balancing strategy: picks one of several running instances for a message. */
export interface Balancer {
  /** Picks an instance; `instances` is never empty. */
  pick<T extends Balanceable>(instances: readonly T[], input: unknown, meta: Meta): T
  /**
   * True for a strategy that places across nodes itself (a virtual actor's key goes to its
   * owner node): it sees local and attached instances alike, so the kernel's `preferLocal`
   * does not narrow its choice to the local ones.
   */
  readonly spansNodes?: boolean
}

/** Creates one balancer per service version (strategies may keep state). */
export type BalancerFactory = () => Balancer

/** A balancer choice in configuration: a built-in name, a shard key, or a factory. */
export type BalancerOption =
  | 'round-robin'
  | 'least-in-flight'
  | { shardBy: (input: unknown, meta: Meta) => unknown }
  | BalancerFactory

/** Round-robin: each instance in turn. */
export const roundRobin: BalancerFactory = () => {
  let next = 0
  return {
    pick(instances) {
      if (next >= instances.length) next = 0
      return instances[next++]!
    },
  }
}

/** Least in flight by the power of two choices: two random instances, the less busy wins. */
export const leastInFlight: BalancerFactory = () => ({
  pick(instances) {
    const n = instances.length
    const a = instances[(Math.random() * n) | 0]!
    let b = instances[(Math.random() * (n - 1)) | 0]!
    if (b === a) b = instances[n - 1]!
    return b.stats.inFlight < a.stats.inFlight ? b : a
  },
})

/** Shard by key: the same key always reaches the same instance while the instance set is stable. */
export function shardByKey(key: (input: unknown, meta: Meta) => unknown): BalancerFactory {
  return () => ({
    pick(instances, input, meta) {
      // Rendezvous hashing: adding or removing an instance moves only its own keys.
      const k = String(key(input, meta))
      let best = instances[0]!
      let bestScore = -1
      for (const instance of instances) {
        const score = fnv1a(k + '\u0000' + instance.id)
        if (score > bestScore) {
          bestScore = score
          best = instance
        }
      }
      return best
    },
  })
}

/** Resolves a configured balancer option to a factory. */
export function balancerFactory(option: BalancerOption | undefined): BalancerFactory {
  if (option === undefined || option === 'round-robin') return roundRobin
  if (option === 'least-in-flight') return leastInFlight
  if (typeof option === 'function') return option
  if (option && typeof option === 'object' && typeof option.shardBy === 'function') {
    return shardByKey(option.shardBy)
  }
  throw new PlexusError(
    'INVALID_ARGUMENT',
    `Unknown balancer ${JSON.stringify(option)}: expected 'round-robin', 'least-in-flight', { shardBy } or a factory`,
  )
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
