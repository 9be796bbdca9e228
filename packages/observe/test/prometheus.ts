// Debian's prometheus and promtool, run the way an operator runs them: an own config, data dir
// and loopback port per test; skipped with a message when absent (failing under
// PLEXUS_REQUIRE_SERVICES=1).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until } from '@plexus/testing'

export const PROMETHEUS = '/usr/bin/prometheus'
export const PROMTOOL = '/usr/bin/promtool'

/** A `skip` value: the reason when `binary` is absent, false when present or required. */
export function binarySkip(binary: string): string | false {
  if (existsSync(binary) || process.env['PLEXUS_REQUIRE_SERVICES'] === '1') return false
  return `${binary} is not installed (apt-get install prometheus)`
}

/** `promtool check metrics` over an exposition: its exit code and what it printed. */
export function promtoolCheck(exposition: string): { code: number | null; output: string } {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' })
  if (run.error !== undefined) throw run.error
  return { code: run.status, output: `${run.stdout}${run.stderr}` }
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One sample of an instant vector. */
export interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

/** A running prometheus server scraping one target. */
export interface RunningPrometheus {
  readonly url: string
  /** `/api/v1/query`: the instant vector for `expr`. */
  query(expr: string): Promise<Sample[]>
  output(): string
  stop(): Promise<void>
}

/** Starts prometheus scraping `target` (`host:port`) at `path` every second. */
export async function startPrometheus(
  target: string,
  path = '/metrics',
): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-prometheus-'))
  const port = await freePort()
  const config = join(dir, 'prometheus.yml')
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: plexus',
      `    metrics_path: ${path}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  )
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await until(
      'prometheus to be ready',
      async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
      { ms: 30_000, context: () => output },
    )
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url,
    output: () => output,
    stop,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
      const body = (await response.json()) as { status: string; data: { result: Sample[] } }
      if (body.status !== 'success')
        throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`)
      return body.data.result
    },
  }
}
