import { PlexusError } from './errors.js'
import type { ActionSpec, ServiceDefinition } from './service.js'

/** An action as a manifest announces it: its name and the flags the kernel routes by. */
export interface ActionManifest {
  name: string
  /** Safe to run twice, so the kernel may retry it on another instance. */
  idempotent?: boolean
  /** Messages handled at once per instance; unlimited when absent. */
  concurrency?: number
  /** Mailbox queue bound when `concurrency` is set. */
  queue?: number
}

/** An event subscription as a manifest announces it. */
export interface EventManifest {
  /** Topic pattern: `*` matches one token, `>` the rest. */
  pattern: string
  delivery: 'balanced' | 'broadcast'
  /** Declared durable (a durable-events plug-in stores it until handled); absent: plain. */
  durable?: boolean
}

/** What the kernel knows of a service it has no code for (a remote host's, a peer node's). */
export interface ServiceManifest {
  name: string
  /** Positive integer version. */
  version: number
  actions: ActionManifest[]
  /** Request-stream names. */
  streams: string[]
  /** Channel names. */
  channels: string[]
  events: EventManifest[]
  /** Names of the services this one needs started first. */
  dependencies: string[]
  /** Service-wide mailbox: messages handled at once per instance (kept on the kernel side). */
  concurrency?: number
  /** Service-wide mailbox queue bound. */
  queue?: number
}

/** The manifest of a definition: names and the flags the kernel routes by. */
export function manifestOf(definition: ServiceDefinition): ServiceManifest {
  const mailbox: Pick<ServiceManifest, 'concurrency' | 'queue'> = {}
  if (definition.concurrency !== undefined) mailbox.concurrency = definition.concurrency
  if (definition.queue !== undefined) mailbox.queue = definition.queue
  return {
    ...mailbox,
    name: definition.name,
    version: definition.version ?? 1,
    actions: Object.entries(definition.actions ?? {}).map(([name, entry]) => {
      const spec: Partial<ActionSpec> = typeof entry === 'function' ? {} : entry
      const action: ActionManifest = { name }
      if (spec.idempotent === true) action.idempotent = true
      if (spec.concurrency !== undefined) action.concurrency = spec.concurrency
      if (spec.queue !== undefined) action.queue = spec.queue
      return action
    }),
    streams: Object.keys(definition.streams ?? {}),
    channels: Object.keys(definition.channels ?? {}),
    events: Object.entries(definition.events ?? {}).map(([pattern, entry]) => {
      const event: EventManifest = {
        pattern,
        delivery:
          typeof entry === 'object' && entry.delivery === 'broadcast' ? 'broadcast' : 'balanced',
      }
      if (typeof entry === 'object' && entry.durable !== undefined && entry.durable !== false)
        event.durable = true
      return event
    }),
    dependencies: [...(definition.dependencies ?? [])],
  }
}

const elsewhere = (): never => {
  throw new PlexusError(
    'INVALID_STATE',
    'A manifest-only service runs elsewhere: its link handles it',
  )
}

/**
 * The definition the kernel keeps for a service it only knows by manifest: the same names and
 * flags, with handlers that are never called (every message goes through the instance's link).
 */
export function definitionOf(manifest: ServiceManifest): ServiceDefinition {
  const actions: Record<string, ActionSpec> = {}
  for (const a of manifest.actions) {
    const spec: ActionSpec = { handler: elsewhere }
    if (a.idempotent === true) spec.idempotent = true
    if (a.concurrency !== undefined) spec.concurrency = a.concurrency
    if (a.queue !== undefined) spec.queue = a.queue
    actions[a.name] = spec
  }
  const table = <T>(names: readonly string[], value: T): Record<string, T> =>
    Object.fromEntries(names.map((n) => [n, value]))
  const definition: ServiceDefinition = {
    name: manifest.name,
    version: manifest.version,
    dependencies: [...manifest.dependencies],
    actions,
    events: Object.fromEntries(
      manifest.events.map((e) => [
        e.pattern,
        e.durable === true
          ? { handler: elsewhere, delivery: e.delivery, durable: true }
          : { handler: elsewhere, delivery: e.delivery },
      ]),
    ),
    streams: table(manifest.streams, { handler: elsewhere }),
    channels: table(manifest.channels, elsewhere),
  }
  if (manifest.concurrency !== undefined) definition.concurrency = manifest.concurrency
  if (manifest.queue !== undefined) definition.queue = manifest.queue
  return definition
}

/** How two manifests of one service version differ, or undefined when they announce the same. */
export function manifestDifference(a: ServiceManifest, b: ServiceManifest): string | undefined {
  const key = (m: ServiceManifest) =>
    JSON.stringify({
      actions: m.actions.map((x) => [x.name, x.idempotent === true]).sort(),
      streams: [...m.streams].sort(),
      channels: [...m.channels].sort(),
      events: m.events.map((e) => [e.pattern, e.delivery]).sort(),
    })
  const left = key(a)
  const right = key(b)
  return left === right ? undefined : `running ${left}, offered ${right}`
}
