import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PlexusError } from '@plexus/kernel'

/** What a running kernel writes for the CLI: where its admin endpoint is and the token. */
export interface RunInfo {
  /** The kernel's process id. */
  pid: number
  /** Admin endpoint port on 127.0.0.1. */
  port: number
  /** Bearer token every admin request must carry. */
  token: string
  /** Application name. */
  name: string
  /** The config file the kernel runs. */
  config: string | undefined
  /** The gateway's URL, when there is one. */
  gateway: string | undefined
  /** When the kernel became ready (ISO time). */
  startedAt: string
}

/** The run file's name inside the admin directory. */
export const RUN_FILE = 'admin.json'

/** A fresh random admin token. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Writes the run file readable by the owner only (0600), atomically. */
export async function writeRunFile(dir: string, info: RunInfo): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, RUN_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, file)
  return file
}

/** Removes the run file if it still belongs to this process. */
export async function removeRunFile(dir: string): Promise<void> {
  const file = join(dir, RUN_FILE)
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as Partial<RunInfo>
    if (info.pid === process.pid) await rm(file, { force: true })
  } catch {
    // Already gone, or another kernel's: nothing to clean.
  }
}

/** Reads the run file of a running kernel, failing clearly when there is none or it is stale. */
export async function readRunFile(dir: string): Promise<RunInfo> {
  const file = join(dir, RUN_FILE)
  let info: RunInfo
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as RunInfo
  } catch {
    throw new PlexusError(
      'UNAVAILABLE',
      `No running kernel found (no ${file}). Start one with: plexus start`,
      { retryable: false, data: { file } },
    )
  }
  if (!alive(info.pid)) {
    throw new PlexusError(
      'UNAVAILABLE',
      `No running kernel: ${file} names process ${info.pid}, which is gone. Start one with: plexus start`,
      { retryable: false, data: { file, pid: info.pid } },
    )
  }
  return info
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
