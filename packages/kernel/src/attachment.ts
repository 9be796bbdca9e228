import { assertDefinition } from './routing.js'
import { PlexusError } from './errors.js'
import type { InstanceLink } from './instance-link.js'
import type { KernelConfig, KernelState } from './kernel-types.js'
import { definitionOf, manifestDifference, type ServiceManifest } from './manifest.js'
import { ServiceEntry, type Registry } from './registry.js'
import type { VersionLifecycle } from './version-lifecycle.js'

/** What attaching needs from the kernel. */
export interface AttachDeps {
  readonly state: () => KernelState
  readonly registry: Registry
  readonly lifecycle: VersionLifecycle
  readonly config: KernelConfig
  readonly announce: (topic: string, payload: unknown) => void
}

/**
 * Registers an instance of a service the kernel has no code for (see `Kernel.attach`) and
 * returns its `detach`: a new version is created from the manifest, or the instance joins the
 * running version of the same shape (MANIFEST_MISMATCH otherwise).
 */
export function attachInstance(
  deps: AttachDeps,
  manifest: ServiceManifest,
  link: InstanceLink,
): () => void {
  const state = deps.state()
  if (state !== 'running' && state !== 'starting') {
    throw new PlexusError('INVALID_STATE', `Cannot attach '${link.id}': kernel is ${state}`)
  }
  const definition = definitionOf(manifest)
  assertDefinition(definition)
  const where = `'${manifest.name}@${manifest.version}'`
  let entry = deps.registry.get(manifest.name)?.versions.get(manifest.version)
  if (entry !== undefined) {
    const difference = manifestDifference(entry.announced, manifest)
    if (difference !== undefined) {
      throw new PlexusError(
        'MANIFEST_MISMATCH',
        `Instance '${link.id}' offers ${where} with another shape than the running version: ${difference}`,
        { data: { service: manifest.name, version: manifest.version, instance: link.id } },
      )
    }
    if (entry.state !== 'running' && entry.state !== 'starting') {
      throw new PlexusError(
        'INVALID_STATE',
        `Cannot attach '${link.id}': ${where} is ${entry.state}`,
        { data: { service: manifest.name, version: manifest.version, state: entry.state } },
      )
    }
  } else {
    const service = deps.registry.get(manifest.name) ?? new ServiceEntry(manifest.name)
    entry = deps.lifecycle.entry(service, definition, { placement: link.placement }, false)
    entry.manifest = manifest
    entry.preferLocal = deps.config.preferLocal
    deps.registry.addVersion(entry)
    entry.markRunning()
  }
  const version = entry
  const instance = deps.lifecycle.instance(version, link, false)
  version.setInstances([...version.instances, instance])
  deps.registry.changed(version.service)
  deps.announce('plexus.instance.attached', {
    service: manifest.name,
    version: manifest.version,
    instance: link.id,
    node: link.node,
    placement: link.placement,
  })
  let attached = true
  return () => {
    if (!attached) return
    attached = false
    instance.detach(
      new PlexusError('UNAVAILABLE', `Instance '${link.id}' was detached`, {
        retryable: true,
        data: { instance: link.id },
      }),
    )
    version.setInstances(version.instances.filter((i) => i !== instance))
    if (version.manifest !== undefined && version.instances.length === 0) {
      version.state = 'stopped'
      deps.registry.removeVersion(version)
    }
    deps.registry.changed(version.service)
    deps.announce('plexus.instance.detached', {
      service: manifest.name,
      version: manifest.version,
      instance: link.id,
      node: link.node,
    })
  }
}
