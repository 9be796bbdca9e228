import type { Logger } from './logger.js'

/**
 * Runs the `beforeStop` hooks together, while the kernel still accepts calls (where a plug-in
 * withdraws the kernel from whoever routes to it), bounded by `ms`: a hook still running then is
 * logged and left behind, a failing one is logged. Never rejects.
 */
export async function runStopHooks(
  hooks: Iterable<() => void | Promise<void>>,
  ms: number,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const ceiling = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn({ ms }, 'Stop hooks still running at the drain timeout')
      resolve()
    }, ms)
  })
  const running = [...hooks].map(async (hook) => {
    try {
      await hook()
    } catch (error) {
      logger.error({ err: error }, 'A beforeStop hook failed')
    }
  })
  await Promise.race([Promise.all(running), ceiling])
  clearTimeout(timer)
}
