import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { PlexusError } from '@plexus/kernel'
import type { KvBackend } from './kv-backend.js'

/** Options of the file backend. */
export interface FileBackendOptions {
  /** Directory holding `kv.json` (snapshot), `kv.log` (changes since) and `kv.lock`. */
  dir: string
  /** fsync each change before answering (survives power loss, not only a crash); default false. */
  fsync?: boolean
  /** Changes appended before the log is folded into a new snapshot (default 10 000). */
  compactEvery?: number
}

/**
 * An append-only change log plus a JSON snapshot replaced by atomic rename. A change is written
 * before the kv service answers, so it survives the process being killed; a torn last line (a
 * crash mid-write) is dropped on load.
 */
export function fileBackend(options: FileBackendOptions): KvBackend {
  const snapshotPath = join(options.dir, 'kv.json')
  const logPath = join(options.dir, 'kv.log')
  const lockPath = join(options.dir, 'kv.lock')
  const compactEvery = options.compactEvery ?? 10_000
  const mirror = new Map<string, unknown>()
  let log: FileHandle | undefined
  let appended = 0

  const compact = async (): Promise<void> => {
    const tmp = `${snapshotPath}.${process.pid}.tmp`
    const handle = await open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(JSON.stringify([...mirror]))
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, snapshotPath)
    await log?.close()
    log = await open(logPath, 'w', 0o600)
    appended = 0
  }

  return {
    kind: 'file',
    async load() {
      await mkdir(options.dir, { recursive: true })
      await takeLock(lockPath)
      mirror.clear()
      const snapshot = await readIfExists(snapshotPath)
      if (snapshot !== undefined) {
        for (const [key, value] of parseSnapshot(snapshot, snapshotPath)) mirror.set(key, value)
      }
      const changes = (await readIfExists(logPath)) ?? ''
      for (const line of changes.split('\n')) {
        if (line === '') continue
        let change: { k: string; v?: unknown }
        try {
          change = JSON.parse(line) as { k: string; v?: unknown }
        } catch {
          break // a torn write from a crash: everything before it is intact
        }
        if (change.v === undefined) mirror.delete(change.k)
        else mirror.set(change.k, change.v)
      }
      await compact()
      return [...mirror]
    },
    async write(key, value) {
      if (log === undefined) {
        throw new PlexusError('INVALID_STATE', `kv file backend in '${options.dir}' is not open`)
      }
      if (value === undefined) mirror.delete(key)
      else mirror.set(key, value)
      await log.write(
        JSON.stringify(value === undefined ? { k: key } : { k: key, v: value }) + '\n',
      )
      if (options.fsync === true) await log.datasync()
      if (++appended >= compactEvery) await compact()
    },
    async close() {
      if (log === undefined) return
      await compact()
      await log.close()
      log = undefined
      await rm(lockPath, { force: true })
    },
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function parseSnapshot(text: string, path: string): [string, unknown][] {
  const parsed: unknown = JSON.parse(text)
  if (!Array.isArray(parsed)) {
    throw new PlexusError('INVALID_STATE', `kv snapshot '${path}' is not a list of entries`)
  }
  return parsed as [string, unknown][]
}

// One writer per directory: a second kernel on the same data would interleave its log lines.
async function takeLock(path: string): Promise<void> {
  const holder = Number(await readIfExists(path))
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
    throw new PlexusError(
      'INVALID_STATE',
      `kv data directory is in use by process ${holder} (lock file '${path}')`,
      { data: { lock: path, pid: holder } },
    )
  }
  await writeFile(path, String(process.pid), { mode: 0o600 })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
