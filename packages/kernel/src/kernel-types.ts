import type { Bus } from './call-context.js'
import type { Clock } from './clock.js'
import type { PlexusError } from './errors.js'
import type { InstanceLink } from './instance-link.js'
import type { BalancerOption } from './balancer.js'
import type { Logger } from './logger.js'
import type { ServiceManifest } from './manifest.js'
import type { VersionState } from './registry.js'
import type { ServiceDefinition } from './service.js'

/** Kernel settings; every one has a production default. */
export interface KernelConfig {
  /** Default call budget in ms (never infinite). */
  readonly deadline: number
  /** Budget of each instance's `started` hook in ms. */
  readonly startTimeout: number
  /** Budget of each instance's `stopped` hook in ms. */
  readonly stopTimeout: number
  /** How long `stop`, `replace` and `remove` wait for in-flight work, in ms. */
  readonly drainTimeout: number
  /** Time source. */
  readonly clock: Clock
  /** Logger. */
  readonly logger: Logger
  /** Called for every failed event handler (after it is logged and counted). */
  readonly onEventError: ((report: EventErrorReport) => void) | undefined
  /** This kernel's node id: qualifies instance ids, names the node in status and in a cluster. */
  readonly node: string
  /** A running local instance wins over attached (remote) ones of the same version. */
  readonly preferLocal: boolean
}

/** A failed event handler, as reported. */
export interface EventErrorReport {
  /** The subscribing service. */
  readonly service: string
  /** The subscription pattern. */
  readonly pattern: string
  /** The topic emitted. */
  readonly topic: string
  /** The error, typed. */
  readonly error: PlexusError
}

/** How a service is placed: instance count, balancing, placement. */
export interface AddOptions {
  /** Number of instances (default 1). */
  instances?: number
  /** Balancing strategy across instances (default round-robin). */
  balancer?: BalancerOption
  /** Where instances run (default `inline`; link plug-ins add `worker`, `process`, ...). */
  placement?: string
  /** The service module (path or URL whose default export is the definition); isolated placements load it. */
  module?: string
  /** Placement-specific settings (memory limits, restart policy...), passed to the placement. */
  settings?: Readonly<Record<string, unknown>>
}

/**
 * What a placement receives to build the link to one instance. Nothing of the kernel's own
 * machinery: the kernel keeps the handler table, mailboxes, interceptors and figures itself.
 */
export interface PlacementRequest {
  /** The instance id to use: unique across processes and machines (`node/service@v#n`). */
  readonly id: string
  /** This kernel's node id. */
  readonly node: string
  /** The service definition. */
  readonly definition: ServiceDefinition
  /** The service module, when given to `add` (isolated placements need it). */
  readonly module: string | undefined
  /** Placement-specific settings given to `add`. */
  readonly settings: Readonly<Record<string, unknown>>
  /** Routes messages that the instance's own handlers send (`ctx.call/send/emit/stream`). */
  readonly bus: Bus
  /** The kernel's logger. */
  readonly logger: Logger
  /**
   * Reports that this instance gave up for good (restart intensity exceeded). Once every
   * instance of the version has, the kernel marks the version failed (calls get UNAVAILABLE at
   * once) and announces `plexus.service.failed`.
   */
  readonly failed: (error: PlexusError) => void
}

/** Builds the link to one instance, for one placement name. */
export type Placement = (request: PlacementRequest) => InstanceLink

/** The state of a kernel. */
export type KernelState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

/** One instance in a status snapshot. */
export interface InstanceStatus {
  /** Unique across processes and machines (`node/service@v#n`). */
  id: string
  placement: string
  /** The node that serves it (this kernel's node id, or a peer's). */
  node: string
  /** Whether this kernel started it (inline, worker, process), not attached by a link. */
  local: boolean
  state: string
  /** Messages waiting in its mailboxes. */
  queued: number
  inFlight: number
  count: number
  errors: number
  rate: number
  p50: number
  p99: number
  restarts: number
  /** Envelopes refused on the instance's link (malformed, illegal); always 0 inline. */
  refused: number
}

/** One service version in a status snapshot. */
export interface ServiceStatus {
  name: string
  version: number
  state: VersionState
  current: boolean
  actions: string[]
  events: string[]
  streams: string[]
  /** What the version announces to peers: actions with their flags, events with their delivery. */
  manifest: Readonly<ServiceManifest>
  instances: InstanceStatus[]
}

/** Kernel-wide counters. */
export interface KernelCounters {
  /** Event deliveries that ended in an error. */
  eventErrors: number
  /** Events emitted that no service subscribed to. */
  eventsUnrouted: number
  /** Fire-and-forget requests that failed. */
  sendErrors: number
}

/** What an address reaches now (see `kernel.describe`). */
export interface ActionDescription {
  /** Service name. */
  readonly service: string
  /** The version the address reaches. */
  readonly version: number
  /** Action name. */
  readonly action: string
  /** Declared idempotent: safe to run twice, so safe to retry after it may have run. */
  readonly idempotent: boolean
  /** Where its instances run. */
  readonly placement: string
  /** How many instances it has. */
  readonly instances: number
}
