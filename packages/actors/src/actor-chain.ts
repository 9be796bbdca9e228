import { AsyncLocalStorage } from 'node:async_hooks'
import { isPlexusError, PlexusError, type Context } from '@plexus/kernel'

/** The meta field carrying the chain of actors a call went through (`type/key`, outermost first). */
export const ACTOR_CHAIN = 'plexus.actors.chain'

/** Re-entries allowed in one chain for a reentrant actor (Dapr's maxStackDepth). */
export const MAX_DEPTH = 32

// The chain of the turn running now, in this process. The kernel's serializeBy sees only the
// input, and a cycle must be refused before the message queues behind the very turn that
// waits for it; the async context carries the chain to that point without a kernel change.
const running = new AsyncLocalStorage<readonly string[]>()

/** The chain a message carries in meta (empty outside any actor). */
export function chainOf(ctx: Context): readonly string[] {
  const chain = ctx.meta[ACTOR_CHAIN]
  return Array.isArray(chain) ? (chain as string[]) : []
}

/** The chain of the actor turn calling now, in this process (empty outside any turn). */
export function callingChain(): readonly string[] {
  return running.getStore() ?? []
}

/**
 * Runs `turn` with `chain` visible to nested calls: in meta (it crosses links) when the context
 * belongs to this message, and in the async context (in-process) always.
 */
export function withChain<T>(ctx: Context | undefined, chain: readonly string[], turn: () => T): T {
  if (ctx !== undefined) ctx.meta[ACTOR_CHAIN] = chain
  return running.run(chain, turn)
}

/** The error a call re-entering an actor already in its chain is refused with. */
export function actorCycle(chain: readonly string[], target: string): PlexusError {
  return new PlexusError(
    'INVALID_STATE',
    `Actor call cycle: '${target}' is already in this call's chain (${[...chain, target].join(' -> ')}); ` +
      `it would wait for its own turn. Make the actor reentrant or break the cycle`,
    { data: { cycle: [...chain, target] } },
  )
}

/** True when `error` refused an actor call cycle. */
export function isActorCycle(error: unknown): error is PlexusError {
  return (
    isPlexusError(error) &&
    error.code === 'INVALID_STATE' &&
    Array.isArray((error.data as { cycle?: unknown } | undefined)?.cycle)
  )
}
