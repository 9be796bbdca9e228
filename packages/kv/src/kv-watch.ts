import { PlexusError, type Context } from '@plexus/kernel'
import type { SharedStore, StoreChange } from './shared-store.js'

/** Changes a watcher may fall behind by before its stream ends OVERLOADED. */
const MAX_BEHIND = 10_000

/**
 * A store watch as a kernel stream: changes under `prefix` are yielded in the order seen; the
 * store watch stops when the consumer stops or the call is cancelled. A consumer that falls
 * too far behind is ended with OVERLOADED rather than buffered without bound.
 */
export async function* watchStream(
  ctx: Context,
  store: SharedStore,
  prefix: string,
): AsyncGenerator<StoreChange> {
  const buffer: StoreChange[] = []
  let wake: (() => void) | undefined
  let overflow = false
  const watch = await store.watch(prefix, (change) => {
    if (buffer.length >= MAX_BEHIND) overflow = true
    else buffer.push(change)
    wake?.()
  })
  const aborted = () => wake?.()
  ctx.signal.addEventListener('abort', aborted)
  try {
    for (;;) {
      while (buffer.length > 0) yield buffer.shift()!
      if (overflow) {
        throw new PlexusError(
          'OVERLOADED',
          `kv.watch '${prefix}': consumer fell ${MAX_BEHIND} changes behind`,
        )
      }
      if (ctx.signal.aborted) return
      await new Promise<void>((resolve) => (wake = resolve))
      wake = undefined
    }
  } finally {
    ctx.signal.removeEventListener('abort', aborted)
    await watch.stop()
  }
}
