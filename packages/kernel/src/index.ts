/**
 * @plexus/kernel — the microkernel: registry, router, lifecycle and interceptor pipeline.
 *
 * @example
 * import { createKernel, defineService } from '@plexus/kernel'
 * const math = defineService({ name: 'math', actions: { add: (ctx, { a, b }: { a: number; b: number }) => a + b } })
 * const kernel = createKernel().add(math)
 * await kernel.start()
 * await kernel.call('math.add', { a: 1, b: 2 }) // 3
 */

/** Builds a kernel with production defaults. */
export { createKernel, type KernelOptions } from './create-kernel.js'
/** The kernel class and its public shapes. */
export { Kernel } from './kernel.js'
/** Kernel settings, placement seam and status shapes. */
export type {
  ActionDescription,
  AddOptions,
  EventErrorReport,
  InstanceStatus,
  KernelConfig,
  KernelCounters,
  KernelState,
  Placement,
  PlacementRequest,
  ServiceStatus,
} from './kernel-types.js'
/** What the kernel knows of a service it has no code for, and conversions to and from definitions. */
export {
  definitionOf,
  manifestDifference,
  manifestOf,
  type ActionManifest,
  type EventManifest,
  type ServiceManifest,
} from './manifest.js'
/** Service and action declarations. */
export {
  defineAction,
  defineService,
  type ActionDefinition,
  type ActionHandler,
  type ActionSpec,
  type ChannelHandler,
  type Delivery,
  type EventDefinition,
  type EventHandler,
  type EventSpec,
  type LifecycleHook,
  type ServiceDefinition,
  type StreamHandler,
  type StreamSpec,
} from './service.js'
/** What handlers receive. */
export type {
  CallOptions,
  CancelSource,
  Context,
  EmitOptions,
  MessageContext,
  Meta,
} from './context.js'
/** The error family. */
export {
  ERROR_CODES,
  ERROR_STATUSES,
  isFault,
  PlexusError,
  isPlexusError,
  toPlexusError,
  type ErrorCode,
  type PlexusErrorJSON,
  type PlexusErrorOptions,
} from './errors.js'
/** Interceptors: the closed set of hooks on the message path. */
export {
  HOOKS,
  type CallFn,
  type EmitFn,
  type HandleFn,
  type HandlerInfo,
  type Hook,
  type Interceptor,
  type StreamFn,
} from './interceptor.js'
/** Plug-in manifests. */
export { definePlugin, type Plugin, type Teardown } from './plugin.js'
/** Balancing strategies. */
export {
  leastInFlight,
  roundRobin,
  shardByKey,
  type Balanceable,
  type Balancer,
  type BalancerFactory,
  type BalancerOption,
} from './balancer.js'
/** Seams: clock and logger. */
export { systemClock, type Clock } from './clock.js'
export {
  createConsoleLogger,
  logLevelOf,
  silentLogger,
  type LogFields,
  type Logger,
  type LogLevel,
} from './logger.js'
/** Standard Schema v1 types (any conforming validator works). */
export type { StandardSchemaV1 } from './standard-schema.js'
/** The placement seam: how the kernel reaches an instance, whatever runs it. */
export type { InstanceLink, InstanceState } from './instance-link.js'
/** The kernel operations a link routes a service's own messages through. */
export type { Bus } from './call-context.js'
/** Whether a value is a promise-like (links and hosts test handler results with it). */
export { isThenable } from './thenable.js'
/** Typed-address helpers. */
export type {
  CallAddress,
  CallInput,
  CallOutput,
  ServiceMap,
  StreamAddress,
  StreamInput,
  StreamItem,
} from './typed-address.js'
/** Wildcard topic matching (NATS-style `*` and `>`). */
export { topicMatches } from './topic.js'
/** Typed views of other services and topics inside handlers (`ctx.call`, `ctx.emit`...). */
export {
  type EmitArgs,
  type EmitPayload,
  type EmitTopic,
  type TypedCalls,
  type TypedContext,
  type TypedEmit,
} from './typed-context.js'
export {
  withServices,
  type TypedDefinitions,
  type TypedEvents,
  type TypedServiceDefinition,
} from './typed-service.js'
