import { createKernel, silentLogger, type KernelOptions } from '@plexus/kernel'

/** A kernel with a silent logger, for tests. */
export function quietKernel(options: KernelOptions = {}) {
  return createKernel({ logger: silentLogger, ...options })
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A promise with its resolve function outside. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Captures the rejection of `promise` (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection, got a value')
}

/**
 * Polls `check` every 5 ms until it is true or `ms` pass; returns whether it became true. The
 * kernel's tests keep their own copy of @plexus/testing's `until` (the kernel imports no repo
 * package).
 */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = performance.now() + ms
  while (!check()) {
    if (performance.now() > end) return false
    await sleep(5)
  }
  return true
}

/**
 * The kernel tests' copy of @plexus/testing's `scale` (the kernel imports no repo package):
 * `full` under PLEXUS_SCALE=full (`npm run soak`), else `small`.
 */
export function scale<T>(sizes: { readonly small: T; readonly full: T }): T {
  return process.env['PLEXUS_SCALE'] === 'full' ? sizes.full : sizes.small
}

/** The kernel tests' copy of @plexus/testing's `reportGates`: one gate line for the soak table. */
export function reportGates(test: string, size: string, gates: Record<string, number | string>) {
  const at = process.env['PLEXUS_SCALE'] === 'full' ? 'full' : 'small'
  console.log('PLEXUS-GATE ' + JSON.stringify({ test, scale: at, size, gates }))
}
