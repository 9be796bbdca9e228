import type { Logger } from '@plexus/kernel'
import type { NodeCluster } from './node-cluster.js'

const STEP_MS = 25

/**
 * Waits, at most `timeout` ms, until every node that was in the registry when this one joined is
 * linked with its services attached (or left, or was found dead): a service here that depends on
 * a peer's service then finds it registered when the kernel starts its services. Runs once, at
 * start; a node not linked in time is logged and the start goes on (a missing dependency is then
 * the kernel's MISSING_DEPENDENCY, naming it).
 */
export async function joined(
  view: NodeCluster,
  present: readonly string[],
  timeout: number,
  logger: Logger,
): Promise<void> {
  const until = Date.now() + timeout
  let waiting = view.unsettled(present)
  while (waiting.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, STEP_MS))
    waiting = view.unsettled(waiting)
  }
  if (waiting.length > 0) {
    logger.warn({ nodes: waiting, timeout }, 'Joined before these nodes were linked')
  }
}
