import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PlexusError } from '@plexus/kernel'
import { parse as parseYaml } from 'yaml'
import { applyEnv } from './config-env.js'
import { configError } from './config-error.js'
import { validateConfig, type ResolvedConfig } from './config-validate.js'

/** File names looked for, in order, when no config path is given. */
export const CONFIG_NAMES = [
  'plexus.config.ts',
  'plexus.config.mts',
  'plexus.config.js',
  'plexus.config.mjs',
  'plexus.config.json',
  'plexus.config.yaml',
  'plexus.config.yml',
]

/** Where to look and which environment to layer over the file. */
export interface LoadOptions {
  /** Directory relative paths start from (default: process.cwd()). */
  cwd?: string
  /** Environment variables (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>
}

/** Finds the config file: the path given, else the first of CONFIG_NAMES in `cwd`. */
export function findConfig(path: string | undefined, cwd: string): string {
  if (path !== undefined) {
    const file = resolve(cwd, path)
    if (existsSync(file)) return file
    throw new PlexusError('INVALID_CONFIG', `Config file not found: ${file}`, {
      data: { key: 'config', value: path, expected: 'an existing file' },
    })
  }
  for (const name of CONFIG_NAMES) {
    const file = resolve(cwd, name)
    if (existsSync(file)) return file
  }
  throw new PlexusError(
    'INVALID_CONFIG',
    `No config file: looked for ${CONFIG_NAMES.join(', ')} in ${cwd} (or pass a path: plexus start <config>)`,
  )
}

/** Reads a config file (.ts, .js, .json, .yaml), layers PLEXUS_* variables over it and validates it. */
export async function loadConfig(
  path?: string,
  options: LoadOptions = {},
): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const file = findConfig(path, cwd)
  const raw = await readConfigFile(file)
  const { config, sources } = applyEnv(raw, options.env ?? process.env)
  return validateConfig(config, { file, dir: dirname(file), cwd, sources })
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const ext = extname(file)
  let value: unknown
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    const text = await readFile(file, 'utf8')
    try {
      value = ext === '.json' ? JSON.parse(text) : parseYaml(text)
    } catch (error) {
      throw new PlexusError('INVALID_CONFIG', `Cannot parse ${file}: ${(error as Error).message}`)
    }
    rejectPoisoned(value, 'config')
  } else {
    let module: { default?: unknown }
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown }
    } catch (error) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `Cannot load ${file}: ${(error as Error).message.split('\n')[0]}`,
        { cause: error },
      )
    }
    value = module.default
    if (value === undefined) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `${file} has no default export (write: export default defineConfig({ services: {...} }))`,
      )
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw configError('config', value, `an object (the whole config, in ${file})`)
  }
  return value as Record<string, unknown>
}

function rejectPoisoned(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw configError(`${path}.${key}`, '(poisoned key)', 'an ordinary key')
    }
    rejectPoisoned((value as Record<string, unknown>)[key], `${path}.${key}`)
  }
}
