/**
 * The benchmark runner: `npm run bench` (full) or `npm run bench -- --quick`.
 * Every measurement runs in a fresh `node --expose-gc` process, one at a time; runs are
 * interleaved (every impl of a scenario once, then again), ratios are computed run by run.
 *
 * Options: --quick, --runs=N, --only=name,name, --scale=F (multiplies request counts),
 * --json=PATH, --doc=PATH, --no-profile; --render rewrites the doc from the JSON of the last run
 * (after editing its notes) without measuring anything.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ratios, toRow } from './aggregate.js'
import type { Series } from './aggregate.js'
import { RESULT_MARKER } from './child-protocol.js'
import type { ChildOptions } from './child-protocol.js'
import { machineInfo } from './machine.js'
import type { Counts } from './measure.js'
import { summariseProfile } from './profile.js'
import type { ProfileSummary } from './profile.js'
import { loadScenarios } from './registry.js'
import type { ScenarioEntry } from './registry.js'
import { writeDoc } from './report.js'
import type { RunResult } from './report.js'
import type { ImplName, Measurement, Scenario } from './scenario.js'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const NODE_FLAGS = ['--expose-gc', '--conditions=plexus-source', '--import', 'tsx']
const CHILD_TIMEOUT_MS = 120_000

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    scale: { type: 'string' },
    json: { type: 'string', default: join(REPO, 'bench/results/latest.json') },
    doc: { type: 'string', default: join(REPO, 'docs/benchmarks.md') },
    'no-profile': { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
})
const quick = args.quick
const runs = Number(args.runs ?? (quick ? 1 : 3))
const scale = Number(args.scale ?? 1) * (quick ? 0.2 : 1)
const only = args.only?.split(',').filter(Boolean)

/** Shortest untimed pass of a full run, in ms (scaled down with --quick and --scale). */
const MIN_PASS_MS = 1000

function countsFor(scenario: Scenario): Counts {
  const at = (n: number) => Math.max(100, Math.round(n * scale))
  switch (scenario.kind) {
    case 'requests':
      return {
        warmup: at(scenario.requests / 4),
        untimed: at(scenario.requests),
        timed: at(scenario.requests / 4),
        minMs: Math.round((scenario.minPassMs ?? MIN_PASS_MS) * Math.min(1, scale)),
      }
    case 'replace':
      return { warmup: 0, untimed: 0, timed: at(scenario.requests) }
    case 'memory':
      return { warmup: at(scenario.warmup), untimed: 0, timed: 0 }
    case 'startup':
      return { warmup: 0, untimed: 0, timed: 0 }
  }
}

/** Runs one measurement process; resolves with its result or rejects with its stderr. */
function measure(
  entry: ScenarioEntry,
  impl: ImplName,
  options: ChildOptions,
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, CHILD, entry.file, impl, JSON.stringify(options)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_MARKER.length)))
      const why = signal ? `killed by ${signal}` : `exit ${code}`
      const lines = stderr.trim().split('\n')
      const first = lines.find((l) => /Error|error:/.test(l)) ?? ''
      reject(new Error(`${why}: ${first.trim()}\n${lines.slice(-8).join('\n')}`))
    })
  })
}

async function plexusAvailable(): Promise<string | undefined> {
  try {
    const kernel = (await import('@plexus/kernel')) as Record<string, unknown>
    return typeof kernel.createKernel === 'function'
      ? undefined
      : '@plexus/kernel does not export createKernel yet'
  } catch (error) {
    return `@plexus/kernel does not load: ${(error as Error).message}`
  }
}

function concurrencies(scenario: Scenario): readonly number[] {
  if (scenario.kind === 'requests') return scenario.concurrency ?? [1, 100]
  if (scenario.kind === 'replace') return [100]
  return [1]
}

async function main() {
  const started = performance.now()
  const machine = machineInfo()
  const noPlexus = await plexusAvailable()
  const entries = (await loadScenarios()).filter((e) => !only || only.includes(e.scenario.name))
  const skipped: string[] = []
  const failures: string[] = []
  const retried: string[] = []
  const series = new Map<string, Series>()
  const plan: Array<{ entry: ScenarioEntry; impl: ImplName; concurrency: number }> = []
  for (const entry of entries) {
    const why = entry.scenario.unavailable?.()
    if (why) {
      skipped.push(`${entry.scenario.name}: ${why}`)
      continue
    }
    for (const concurrency of concurrencies(entry.scenario))
      for (const impl of Object.keys(entry.scenario.impls) as ImplName[]) {
        if (impl === 'plexus' && noPlexus) continue
        plan.push({ entry, impl, concurrency })
        series.set(`${entry.scenario.name}/${impl}/${concurrency}`, {
          scenario: entry.scenario,
          impl,
          concurrency,
          runs: [],
        })
      }
  }
  if (noPlexus) skipped.push(`plexus: ${noPlexus}`)
  const total = plan.length * runs
  let done = 0
  for (let run = 0; run < runs; run++) {
    for (const { entry, impl, concurrency } of plan) {
      const key = `${entry.scenario.name}/${impl}/${concurrency}`
      const label = `[${++done}/${total}] run ${run + 1} ${key}`
      const options = { concurrency, counts: countsFor(entry.scenario) }
      const t0 = performance.now()
      try {
        let m: Measurement
        try {
          m = await measure(entry, impl, options)
        } catch (error) {
          // One retry, stated in the output: a process can die of something outside the code
          // under test (a source file saved mid-edit, a port taken); a second failure stands.
          retried.push(`${key} (run ${run + 1}): ${firstLine(error)}`)
          console.log(`${label}  failed (${firstLine(error)}), retrying once`)
          m = await measure(entry, impl, options)
        }
        series.get(key)?.runs.push(m)
        console.log(`${label}  ${brief(m)}  [${((performance.now() - t0) / 1000).toFixed(1)} s]`)
      } catch (error) {
        series.get(key)?.runs.push(undefined)
        failures.push(`${key} (run ${run + 1}): ${(error as Error).message}`)
        console.log(`${label}  FAILED: ${firstLine(error)}`)
      }
    }
  }
  const profile = args['no-profile'] || noPlexus ? undefined : await profileCall(entries)
  const all = [...series.values()]
  const result = {
    generated: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    runs,
    scale,
    machine,
    skipped,
    failures,
    retried,
    rows: all.map(toRow),
    ratios: ratios(all),
    profile,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  }
  mkdirSync(dirname(args.json), { recursive: true })
  writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n')
  writeDoc(
    args.doc,
    result,
    entries.map((e) => e.scenario),
  )
  console.log(`wrote ${args.json} and ${args.doc} in ${result.seconds} s`)
  for (const s of skipped) console.log(`skipped ${s}`)
  if (failures.length) {
    console.error(`${failures.length} measurement(s) failed:\n${failures.join('\n')}`)
    process.exitCode = 1
  }
}

function firstLine(error: unknown): string {
  const lines = (error as Error).message.split('\n')
  return lines.find((l) => /Error|error:/.test(l))?.trim() ?? lines[0] ?? String(error)
}

function brief(m: Measurement): string {
  const parts: string[] = []
  if (m.rps !== undefined) parts.push(`${Math.round(m.rps).toLocaleString('en')} rps`)
  if (m.p50_us !== undefined) parts.push(`p50 ${m.p50_us.toFixed(2)} µs`)
  if (m.p99_us !== undefined) parts.push(`p99 ${m.p99_us.toFixed(2)} µs`)
  if (m.switch_p99_us !== undefined) parts.push(`switch p99 ${m.switch_p99_us.toFixed(2)} µs`)
  if (m.errors) parts.push(`${m.errors} errors`)
  if (m.rss_mb !== undefined) parts.push(`rss ${m.rss_mb.toFixed(1)} MB`)
  if (m.heap_mb !== undefined) parts.push(`heap ${m.heap_mb.toFixed(1)} MB`)
  if (m.ms !== undefined) parts.push(`${m.ms.toFixed(2)} ms`)
  return parts.join(', ')
}

/** Profiles the Plexus in-process call at c1 and summarises where its time goes. */
async function profileCall(entries: ScenarioEntry[]): Promise<ProfileSummary | undefined> {
  const entry = entries.find((e) => e.scenario.name === 'call')
  if (entry?.scenario.kind !== 'requests' || !entry.scenario.impls.plexus) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-prof-'))
  try {
    // At least 200k calls even in quick or tiny mode: at 100 µs sampling a shorter loop can
    // yield no sample inside it at all, and then no profile.
    const n = Math.max(200_000, Math.round(entry.scenario.requests * Number(args.scale ?? 1)))
    const counts = { warmup: n >> 2, untimed: n, timed: 100 }
    const file = join(dir, 'call.cpuprofile')
    await measure(entry, 'plexus', { concurrency: 1, counts, profile: file })
    return summariseProfile(file)
  } catch (error) {
    console.log(`profile failed: ${(error as Error).message}`)
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function render() {
  const result = JSON.parse(readFileSync(args.json, 'utf8')) as RunResult
  writeDoc(
    args.doc,
    result,
    (await loadScenarios()).map((e) => e.scenario),
  )
  console.log(`rewrote ${args.doc} from ${args.json} (${result.generated})`)
}

await (args.render ? render() : main())
