import type { Balanceable, BalancerFactory } from '@plexus/kernel'
import type { ActorMarker } from './actor-types.js'

/** The node an instance runs on: every instance id is `<node>/<service>@<version>[#n]`. */
export const nodeOf = (instance: Balanceable): string => {
  const slash = instance.id.lastIndexOf('/')
  return slash < 0 ? instance.id : instance.id.slice(0, slash)
}

/** What a node's balancer last saw of an actor type: the nodes serving it, and which is this one. */
export interface PlacementView {
  /** This node (the node of the local instances), when one runs here. */
  self: string | undefined
  /** The nodes serving the type, sorted. */
  nodes: readonly string[]
}

const views = new WeakMap<object, PlacementView>()

/** The last placement view of `actor`'s balancer in this process (none before its first pick). */
export const placementView = (actor: object): PlacementView | undefined => views.get(actor)

/**
 * The balancer that sends every message for one actor key to one node — its owner — on every
 * node of a cluster: rendezvous hashing of the key over the *nodes* serving the actor type (not
 * over instance ids, which differ between a node's own view and its peers' views of it), so
 * every node that sees the same set of nodes picks the same owner, and a node joining or leaving
 * moves only its own keys. It spans nodes: the kernel's `preferLocal` does not narrow it to the
 * local instance, so the owner is chosen even where the type also runs locally. A message
 * without a key (`$active`) stays local.
 *
 * @example
 * kernel.add(cart, { balancer: actorBalancer(cart) })
 */
export function actorBalancer(actor: ActorMarker<string>): BalancerFactory {
  const field = actor.actorKey
  return () => ({
    spansNodes: true,
    pick(instances, input) {
      const key = (input as Record<string, unknown> | null | undefined)?.[field]
      if (typeof key !== 'string') {
        return instances.find((i) => (i as { local?: boolean }).local === true) ?? instances[0]!
      }
      let best = instances[0]!
      let bestScore = -1
      let bestNode = ''
      let self: string | undefined
      const nodes = new Set<string>()
      for (const instance of instances) {
        const node = nodeOf(instance)
        nodes.add(node)
        if ((instance as { local?: boolean }).local === true) self = node
        const score = node === bestNode ? bestScore : ownerScore(key, node)
        // Ties (one node, several instances) keep the first: any instance of a node shares
        // its activation table.
        if (score > bestScore || (score === bestScore && node < bestNode)) {
          bestScore = score
          best = instance
          bestNode = node
        }
      }
      // Kept for the actor's leases: an activation here whose key another node now owns
      // lets its lease go once idle (see defineActor's lease).
      views.set(actor, { self, nodes: [...nodes].sort() })
      return best
    },
  })
}

/** The node among `nodes` that owns `key` (where `actorBalancer` sends its messages). */
export function ownerNode(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const node of nodes) {
    const score = ownerScore(key, node)
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      bestScore = score
      best = node
    }
  }
  return best
}

/** Rendezvous score of `node` for `key` (the highest owns it). */
function ownerScore(key: string, node: string): number {
  const text = key + '\u0000' + node
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  // A final mix: FNV-1a alone scores keys sharing a prefix too alike.
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  return hash >>> 0
}
