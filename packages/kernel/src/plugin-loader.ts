import { PlexusError } from './errors.js'
import { dependencyOrder } from './graph.js'
import type { Plugin, Teardown } from './plugin.js'
import { withTimeout } from './timing.js'

/** A loaded plug-in's teardown, run in reverse load order. */
export interface LoadedPlugin {
  readonly name: string
  readonly teardown: Teardown
}

/**
 * Loads plug-ins dependencies first (a missing one or a cycle is refused before any setup
 * runs), each `setup` bounded by its timeout; returns the teardowns in load order.
 */
export async function loadPlugins<K>(
  plugins: readonly Plugin<K>[],
  kernel: K,
  defaultTimeout: number,
): Promise<LoadedPlugin[]> {
  const byName = new Map<string, readonly string[]>()
  for (const plugin of plugins) byName.set(plugin.name, plugin.dependsOn ?? [])
  const order = dependencyOrder(byName, {
    noun: 'plug-in',
    missing: 'MISSING_PLUGIN',
    cycle: 'PLUGIN_CYCLE',
  })
  const loaded: LoadedPlugin[] = []
  for (const name of order) {
    const plugin = plugins.find((p) => p.name === name)!
    const budget = plugin.timeout ?? defaultTimeout
    const result = await withTimeout(
      Promise.resolve(plugin.setup(kernel)),
      budget,
      () =>
        new PlexusError(
          'PLUGIN_TIMEOUT',
          `Plug-in '${name}' setup did not finish within ${budget} ms`,
        ),
    )
    if (typeof result === 'function') loaded.push({ name, teardown: result })
  }
  return loaded
}
