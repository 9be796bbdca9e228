import type { CancelSource } from './context.js'

/**
 * Aborts `controller` with `source`'s reason once `source` cancels (at once if it already has).
 * Returns the listener it added, for `source.removeEventListener` once the follower is done, or
 * undefined when it added none.
 */
export function followCancel(
  source: CancelSource,
  controller: AbortController,
): (() => void) | undefined {
  if (source.aborted) {
    controller.abort(source.reason)
    return undefined
  }
  const listener = (): void => controller.abort(source.reason)
  source.addEventListener('abort', listener, { once: true })
  return listener
}
