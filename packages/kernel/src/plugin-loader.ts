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
 * runs), each `setup` bounded by its timeout; returns the teardowns in load order. When one
 * fails, those loaded before it are torn down (reverse order) before the error is thrown, so
 * nothing it started (a port, a connection) outlives the failed start: a PlexusError as it
 * was thrown, anything else as PLUGIN_FAILED with it as the cause.
 */
export async function loadPlugins<K>(
  plugins: readonly Plugin<K>[],
  kernel: K,
  defaultTimeout: number,
  onTeardownError: (name: string, error: unknown) => void,
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
    let result: unknown
    try {
      result = await withTimeout(
        new Promise((resolve) => resolve(plugin.setup(kernel))),
        budget,
        () =>
          new PlexusError(
            'PLUGIN_TIMEOUT',
            `Plug-in '${name}' setup did not finish within ${budget} ms`,
          ),
      )
    } catch (error) {
      await tearDown(loaded, onTeardownError)
      // A typed error keeps its code (INVALID_CONFIG from a config plug-in, PLUGIN_TIMEOUT...).
      if (error instanceof PlexusError) throw error
      throw new PlexusError(
        'PLUGIN_FAILED',
        `Plug-in '${name}' failed to set up: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, data: { plugin: name, tornDown: loaded.map((l) => l.name).reverse() } },
      )
    }
    if (typeof result === 'function') loaded.push({ name, teardown: result as Teardown })
  }
  return loaded
}

/** Runs teardowns in reverse load order; a failing one is reported and the rest still run. */
export async function tearDown(
  loaded: LoadedPlugin[],
  onError: (name: string, error: unknown) => void,
): Promise<void> {
  for (const { name, teardown } of loaded.splice(0).reverse()) {
    try {
      await teardown()
    } catch (error) {
      onError(name, error)
    }
  }
}
