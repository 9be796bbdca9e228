import { PlexusError } from './errors.js'

/** Undoes a plug-in's setup; run in reverse load order when the kernel stops. */
export type Teardown = () => void | Promise<void>

/**
 * A kernel extension as a typed manifest, validated before anything loads. `K` is the kernel
 * type handed to `setup`.
 */
export interface Plugin<K = unknown> {
  /** Unique name. */
  readonly name: string
  /** Names of plug-ins that must load first. */
  readonly dependsOn?: readonly string[]
  /** Milliseconds `setup` may take (default: the kernel's start timeout). */
  readonly timeout?: number
  /** Extends the kernel (interceptors, services, links...); may return a teardown. */
  setup(kernel: K): void | Teardown | Promise<void | Teardown>
}

/** Declares a plug-in manifest (identity at run time; checks the shape at compile time). */
export function definePlugin<K = unknown>(plugin: Plugin<K>): Plugin<K> {
  return plugin
}

const NAME = /^[a-z0-9@][\w./@-]*$/i

/** Rejects a malformed manifest with INVALID_PLUGIN, naming the field and the value seen. */
export function assertPlugin(value: unknown): asserts value is Plugin {
  if (value === null || typeof value !== 'object') {
    throw new PlexusError(
      'INVALID_PLUGIN',
      `Plug-in manifest must be an object, got ${typeof value}`,
    )
  }
  const p = value as Record<string, unknown>
  if (typeof p.name !== 'string' || !NAME.test(p.name)) {
    throw new PlexusError(
      'INVALID_PLUGIN',
      `Plug-in name must be a non-empty identifier, got ${JSON.stringify(p.name)}`,
    )
  }
  if (typeof p.setup !== 'function') {
    throw new PlexusError(
      'INVALID_PLUGIN',
      `Plug-in '${p.name}': setup must be a function, got ${typeof p.setup}`,
    )
  }
  if (
    p.dependsOn !== undefined &&
    (!Array.isArray(p.dependsOn) || !p.dependsOn.every((d) => typeof d === 'string'))
  ) {
    throw new PlexusError(
      'INVALID_PLUGIN',
      `Plug-in '${p.name}': dependsOn must be an array of names`,
    )
  }
  if (p.timeout !== undefined && (typeof p.timeout !== 'number' || !(p.timeout > 0))) {
    throw new PlexusError(
      'INVALID_PLUGIN',
      `Plug-in '${p.name}': timeout must be a positive number of ms, got ${JSON.stringify(p.timeout)}`,
    )
  }
}
