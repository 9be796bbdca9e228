/** Resolves after `ms` milliseconds (lifecycle only; never on the message path). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Settles like `work`, or rejects with `onTimeout()` after `ms` (lifecycle only). */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  return Promise.race([work, limit]).finally(() => clearTimeout(timer))
}
