import { isPlexusError, PlexusError, type Context, type MessageContext } from '@plexus/kernel'

/** The meta field carrying the chain of actors a call went through (`type/key`, outermost first). */
export const ACTOR_CHAIN = 'plexus.actors.chain'

/** Re-entries allowed in one chain for a reentrant actor (Dapr's maxStackDepth). */
export const MAX_DEPTH = 32

const NO_CHAIN: readonly string[] = Object.freeze([])

/**
 * The chain a message carries in meta (empty outside any actor). Read through `peekMeta` where
 * the context has it: `ctx.meta` would create an empty meta object on every call carrying none.
 */
export function chainOf(ctx: Context): readonly string[] {
  const peek = (ctx as Partial<MessageContext>).peekMeta
  const chain = (peek === undefined ? ctx.meta : peek.call(ctx))?.[ACTOR_CHAIN]
  return Array.isArray(chain) ? (chain as string[]) : NO_CHAIN
}

/**
 * Makes `chain` visible to the calls a turn makes through its context: in meta, which every
 * nested call inherits (in process and across links). No async context: AsyncLocalStorage
 * would turn on promise hooks for the whole process and slow every call in it.
 */
export function setChain(ctx: Context, chain: readonly string[]): void {
  ctx.meta[ACTOR_CHAIN] = chain
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
