/** The machine and versions a run is stated against. */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { canPin } from './pin.js'

/** What the doc states about where the figures come from. */
export interface MachineInfo {
  cpu: string
  cores: number
  memory_gb: number
  os: string
  node: string
  npm: string
  moleculer: string
  nats: string
  nats_server: string
  kernel: string
  commit: string
  loadavg_start: number[]
  /** Whether each measurement pinned its main thread to CPU 0 and its peer processes to CPU 1. */
  pinned: boolean
}

function packageVersion(name: string): string {
  try {
    // Resolve the entry, not package.json: packages with an `exports` map may not expose it.
    const entry = createRequire(import.meta.url).resolve(name)
    const marker = `node_modules/${name}/`
    const root = entry.slice(0, entry.lastIndexOf(marker) + marker.length)
    return (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version
  } catch {
    return 'absent'
  }
}

function kernelVersion(): string {
  try {
    const url = new URL('../../packages/kernel/package.json', import.meta.url)
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
  } catch {
    return 'absent'
  }
}

function output(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : 'unknown'
}

/** Collects the facts; cheap enough to run once per invocation. */
export function machineInfo(): MachineInfo {
  const agent = /npm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')
  const commit = output('git', ['rev-parse', '--short', 'HEAD'])
  const dirty = output('git', ['status', '--porcelain', '--', 'packages/kernel', 'bench/src'])
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    npm: agent?.[1] ?? output('npm', ['--version']),
    moleculer: packageVersion('moleculer'),
    nats: packageVersion('nats'),
    nats_server: /v[\d.]+/.exec(output('nats-server', ['--version']))?.[0] ?? 'absent',
    kernel: kernelVersion(),
    commit: dirty && dirty !== 'unknown' ? `${commit} + uncommitted changes` : commit,
    loadavg_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    pinned: canPin(),
  }
}
