import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PlexusError, type ServiceDefinition } from '@plexus/kernel'
import type { ResolvedService } from './config-validate.js'

let generation = 0
const requireCache = createRequire(import.meta.url).cache

/**
 * Imports a service module and returns its definition: the named export (default `default`),
 * called with the service's `config` when it is a factory. `fresh` bypasses the module cache
 * (hot replace); a module that fails to compile is reported and nothing is replaced.
 */
export async function loadDefinition(
  service: ResolvedService,
  options: { file?: string; fresh?: boolean; cwd?: string } = {},
): Promise<ServiceDefinition> {
  const file =
    options.file === undefined
      ? service.module
      : isAbsolute(options.file)
        ? options.file
        : resolve(options.cwd ?? process.cwd(), options.file)
  const key = `services.${service.name}.module`
  if (!existsSync(file)) {
    throw new PlexusError('INVALID_CONFIG', `${key}: file not found: ${file}`, {
      data: { key, value: file, expected: 'an existing module file' },
    })
  }
  // ES modules are cached by URL (a query makes a new one); a module tsx loads as CommonJS (no
  // "type": "module" nearby) is cached by path in require.cache.
  if (options.fresh === true) delete requireCache[file]
  const url = pathToFileURL(file).href + (options.fresh === true ? `?v=${++generation}` : '')
  let module: Record<string, unknown>
  try {
    module = (await import(url)) as Record<string, unknown>
  } catch (error) {
    throw new PlexusError(
      'INVALID_DEFINITION',
      `Cannot load service '${service.name}' from ${file}: ${firstLines((error as Error).message)}`,
      { cause: error, data: { service: service.name, file } },
    )
  }
  let exported = module[service.export]
  if (typeof exported === 'function')
    exported = await (exported as (c: unknown) => unknown)(service.config ?? {})
  if (exported === null || typeof exported !== 'object') {
    throw new PlexusError(
      'INVALID_DEFINITION',
      `${key}: ${file} must export '${service.export}' as a service definition (or a factory of one), got ${typeof exported}`,
      { data: { service: service.name, file } },
    )
  }
  const definition = exported as ServiceDefinition
  if (definition.name !== service.name) {
    throw new PlexusError(
      'INVALID_DEFINITION',
      `${key}: ${file} defines a service named '${String(definition.name)}', expected '${service.name}'`,
      { data: { service: service.name, file, name: definition.name } },
    )
  }
  return definition
}

function firstLines(message: string): string {
  return message.split('\n').slice(0, 6).join('\n')
}
