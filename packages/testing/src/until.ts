/** Options of `until`. */
export interface UntilOptions {
  /** Give up after this many ms (default 15 s). */
  ms?: number
  /** Appended to the timeout error, e.g. the output of the process being waited on. */
  context?: () => string
}

/**
 * Polls `probe` every 100 ms until it returns something other than undefined, and returns it;
 * throws `Timed out waiting for <what>` (with `context()`) after `ms`.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: UntilOptions = {},
): Promise<T> {
  const end = Date.now() + (options.ms ?? 15_000)
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > end) {
      const context = options.context?.()
      throw new Error(
        `Timed out waiting for ${what}${context ? `\n--- output ---\n${context}` : ''}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
