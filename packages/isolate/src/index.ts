/**
 * @plexus/isolate: worker-thread and child-process placement with supervision and liveness.
 * A service module (a file whose default export is a `defineService(...)`) runs unchanged
 * inline, in a worker or in a child process, chosen by configuration.
 *
 * @example
 * import { createKernel } from '@plexus/kernel'
 * import { installIsolation } from '@plexus/isolate'
 * import orders from './services/orders.js'
 * const kernel = installIsolation(createKernel())
 * kernel.add(orders, { placement: 'worker', instances: 4, module: './services/orders.js' })
 * await kernel.start()
 */

/** The plug-in and the placements it registers. */
export {
  installIsolation,
  isolation,
  processPlacement,
  workerPlacement,
  type IsolationOptions,
} from './isolation-plugin.js'
/** Supervision groups (Erlang's one_for_one, rest_for_one, one_for_all) and their events. */
export {
  GROUP_FAILED_TOPIC,
  GROUP_RESTARTED_TOPIC,
  type GroupPolicy,
  type GroupStrategy,
} from './supervision-group.js'
/** Placement settings (memory limits, restart policy, liveness, stream window). */
export type { IsolationSettings, RestartPolicy } from './isolation-settings.js'
/** Autoscaled pools (`settings: { instances: { min, max } }`) and the event they announce. */
export { POOL_SCALED_TOPIC } from './instance-pool.js'
export type { PoolSettings } from './pool-settings.js'
/** The link a placement builds, and the topics its supervisor emits. */
export { FAILED_TOPIC, IsolatedInstance, RESTARTED_TOPIC } from './isolated-instance.js'
/** The link engine, which moved to `@plexus/wire`; re-exported for code written against isolate. */
export { Session, Exchange } from '@plexus/wire'
/** The guest side, for hosts that embed a service some other way. */
export {
  runGuest,
  serveDefinition,
  loadDefinition,
  type GuestTransport,
  type ServeOptions,
  type ServeTransport,
} from './guest-host.js'
