import { CallContext, type Bus } from './call-context.js'
import type { EmitOptions } from './context.js'
import { PlexusError } from './errors.js'
import type { Instance } from './instance.js'
import type { KernelState } from './kernel-types.js'
import type { Registry, VersionEntry } from './registry.js'
import { topicMatches } from './topic.js'

/**
 * Delivers `topic` to one named service only (the subscriptions of its current version that
 * match), on `node`'s own instances when it has any: what a link does with an event a peer
 * addressed to that service. Settles when every handler has; rejects with the first failure
 * (each one is also reported), NOT_FOUND when the service or a matching subscription is absent,
 * UNAVAILABLE when it is not running.
 */
export function dispatchEvent(
  registry: Registry,
  state: KernelState,
  bus: Bus,
  name: string,
  topic: string,
  payload: unknown,
  options: EmitOptions | undefined,
  node: string,
): Promise<void> {
  const version = registry.get(name)?.current
  if (version === undefined) {
    return Promise.reject(
      new PlexusError('NOT_FOUND', `No service '${name}' is registered to receive '${topic}'`, {
        data: { service: name, topic },
      }),
    )
  }
  if (version.state !== 'running' || state === 'stopped') {
    return Promise.reject(
      new PlexusError('UNAVAILABLE', `Service '${name}@${version.version}' is ${version.state}`, {
        data: { service: name, topic },
      }),
    )
  }
  const own = version.instances.filter((i) => i.link.node === node && i.state === 'running')
  const targets = own.length > 0 ? own : version.instances
  const work: Promise<void>[] = []
  for (const [pattern, entry] of Object.entries(version.definition.events ?? {})) {
    if (!topicMatches(pattern, topic)) continue
    const broadcast = typeof entry === 'object' && entry.delivery === 'broadcast'
    const to = broadcast ? targets : [pickOf(version, targets, payload)]
    for (const instance of to) {
      const ctx = new CallContext(bus, name, pattern, undefined, options, topic)
      work.push(instance.dispatch(pattern, ctx, payload))
    }
  }
  if (work.length === 0) {
    return Promise.reject(
      new PlexusError('NOT_FOUND', `Service '${name}' does not subscribe to '${topic}'`, {
        data: { service: name, topic },
      }),
    )
  }
  return work.length === 1 ? work[0]! : Promise.all(work).then(() => undefined)
}

function pickOf(version: VersionEntry, targets: Instance[], payload: unknown): Instance {
  if (targets.length === 1) return targets[0]!
  return version.balancer.pick(targets, payload, {})
}
