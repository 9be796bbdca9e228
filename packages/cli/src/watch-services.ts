import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from '@plexus/kernel'
import type { ResolvedService } from './config-validate.js'

/**
 * Watches each service's module file (through its directory, so editors that save by rename
 * are seen) and calls `replace` once per burst of changes. A failed replace is logged and the
 * running version stays.
 */
export function watchServices(
  services: readonly ResolvedService[],
  replace: (service: string) => Promise<unknown>,
  logger: Logger,
  debounceMs = 150,
): () => void {
  const byDir = new Map<string, Map<string, string>>()
  for (const s of services) {
    const files = byDir.get(dirname(s.module)) ?? new Map<string, string>()
    files.set(basename(s.module), s.name)
    byDir.set(dirname(s.module), files)
  }
  const timers = new Map<string, NodeJS.Timeout>()
  const busy = new Map<string, Promise<void>>()
  const fire = (name: string): void => {
    const previous = busy.get(name) ?? Promise.resolve()
    const next = previous.then(async () => {
      try {
        await replace(name)
      } catch (error) {
        logger.error(
          { service: name, err: error },
          `Kept the running version of '${name}': the new one failed`,
        )
      }
    })
    busy.set(name, next)
  }
  const watchers: FSWatcher[] = []
  for (const [dir, files] of byDir) {
    const watcher = watch(dir, (_event, file) => {
      const name = file === null ? undefined : files.get(basename(file.toString()))
      if (name === undefined) return
      clearTimeout(timers.get(name))
      timers.set(
        name,
        setTimeout(() => fire(name), debounceMs),
      )
    })
    watchers.push(watcher)
  }
  logger.info(
    { files: services.map((s) => s.module) },
    'Watching service files; saving one hot-replaces it',
  )
  return () => {
    for (const w of watchers) w.close()
    for (const t of timers.values()) clearTimeout(t)
  }
}
