import { PlexusError, type Context } from '@plexus/kernel'
import { isRevisionConflict } from '@plexus/kv'

/** The kv key of an actor's state. */
export const stateKey = (type: string, key: string) => `actor-state/${type}/${key}`

/** Reads an actor's state and revision from the kv service `store` (null when never saved). */
export async function loadState(
  ctx: Pick<Context, 'call'>,
  store: string,
  type: string,
  key: string,
): Promise<{ value: unknown; revision: number } | null> {
  return ctx.call<{ value: unknown; revision: number } | null>(`${store}.getEntry`, {
    key: stateKey(type, key),
  })
}

/**
 * Saves an actor's state only if nobody saved it since `revision` (compare-and-set). A conflict
 * means another activation (another kernel, or a stale one here) committed first: it answers
 * UNAVAILABLE, retryable, so the caller retries against a fresh activation.
 */
export async function saveState(
  ctx: Pick<Context, 'call'>,
  store: string,
  type: string,
  key: string,
  state: unknown,
  revision: number,
): Promise<number> {
  try {
    const saved = await ctx.call<{ revision: number }>(`${store}.cas`, {
      key: stateKey(type, key),
      value: state,
      ifRevision: revision,
    })
    return saved.revision
  } catch (error) {
    if (!isRevisionConflict(error)) throw error
    throw new PlexusError(
      'UNAVAILABLE',
      `Actor '${type}/${key}': its state was committed elsewhere since this activation read it (revision ${revision}); the turn was not saved, try again`,
      { retryable: true, data: { actor: type, key, revision }, cause: error },
    )
  }
}
