import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PlexusError, type Kernel, type Plugin } from '@plexus/kernel'
import type { PluginConfig } from './config-types.js'

type Manifest = Plugin<Kernel<any>>

/**
 * Turns a plug-in entry of the config into a manifest: a manifest is used as is; a module name
 * (`'@plexus/isolate'`, `'./my-plugin.ts#audit'`) is imported and its export (default, else the
 * only function) is called with `options`.
 */
export async function loadPlugin(
  entry: PluginConfig,
  index: number,
  dir: string,
): Promise<Manifest> {
  if (typeof entry === 'object' && 'setup' in entry) return entry
  const spec = typeof entry === 'string' ? entry : entry.module
  const [name = spec, hashExport] = spec.split('#')
  const wanted = typeof entry === 'string' ? hashExport : (entry.export ?? hashExport)
  const options = typeof entry === 'string' ? undefined : entry.options
  const key = `plugins[${index}]`
  const target =
    name.startsWith('.') || isAbsolute(name)
      ? pathToFileURL(resolve(dir, name)).href
      : fromConfigDir(name, dir)
  let module: Record<string, unknown>
  try {
    module = (await import(target)) as Record<string, unknown>
  } catch (error) {
    throw new PlexusError(
      'INVALID_CONFIG',
      `Invalid configuration: ${key}: cannot load plug-in module '${name}': ${(error as Error).message.split('\n')[0]}`,
      { data: { key, value: spec, expected: 'an installed module' } },
    )
  }
  const functions = Object.entries(module).filter(([, v]) => typeof v === 'function')
  const picked =
    wanted !== undefined
      ? module[wanted]
      : (module.default ?? (functions.length === 1 ? functions[0]![1] : undefined))
  const manifest =
    typeof picked === 'function' ? await (picked as (o: unknown) => unknown)(options) : picked
  if (
    manifest === null ||
    typeof manifest !== 'object' ||
    typeof (manifest as Manifest).setup !== 'function'
  ) {
    throw new PlexusError(
      'INVALID_CONFIG',
      `Invalid configuration: ${key}: '${spec}' does not give a plug-in (name an export with '${name}#export')`,
      { data: { key, value: spec, expected: 'a module exporting a plug-in factory' } },
    )
  }
  return manifest as Manifest
}

// A package named in the config resolves from the config's directory (the application's
// dependencies), falling back to the CLI's own.
function fromConfigDir(name: string, dir: string): string {
  try {
    return pathToFileURL(createRequire(join(dir, 'noop.js')).resolve(name)).href
  } catch {
    return name
  }
}
