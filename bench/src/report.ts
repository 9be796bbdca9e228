/**
 * Writes docs/benchmarks.md from a run's result. The hand-written analysis between the
 * `notes:start` / `notes:end` markers survives regeneration; everything else is generated.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Ratio, Row } from './aggregate.js'
import type { MachineInfo } from './machine.js'
import type { ProfileSummary } from './profile.js'
import type { Scenario } from './scenario.js'
import type { Spread } from './stats.js'
import { evaluateTargets } from './targets.js'

/** What a run hands to the doc. */
export interface RunResult {
  generated: string
  mode: string
  runs: number
  scale: number
  machine: MachineInfo
  skipped: string[]
  failures: string[]
  retried: string[]
  rows: Row[]
  ratios: Ratio[]
  profile: ProfileSummary | undefined
  seconds: number
}

const NOTES_START = '<!-- notes:start -->'
const NOTES_END = '<!-- notes:end -->'
const DEFAULT_NOTES = `${NOTES_START}\n_No analysis written yet._\n${NOTES_END}`

/** Formats a rate: 17.2M, 771k, 12.9k. */
export function rate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–'
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e7 ? 1 : 2)}M`
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)}k`
  return x.toFixed(0)
}

function num(x: number | undefined, digits = 2): string {
  if (x === undefined || !Number.isFinite(x)) return '–'
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits)
}

/** `1.52× (1.40–1.61)` */
export function times(s: Spread | undefined): string {
  if (!s || !Number.isFinite(s.median)) return '–'
  return `${num(s.median)}× (${num(s.min)}–${num(s.max)})`
}

function plain(s: Spread | undefined, unit: string): string {
  if (!s || !Number.isFinite(s.median)) return '–'
  return `${num(s.median, 1)} ${unit} (${num(s.min, 1)}–${num(s.max, 1)})`
}

function requestTables(result: RunResult, scenarios: Scenario[]): string[] {
  const out: string[] = []
  out.push('| scenario | impl | c1 req/s | c100 req/s | c1 p50 / p99 µs | c100 p50 / p99 µs |')
  out.push('|---|---|---|---|---|---|')
  for (const s of scenarios.filter((x) => x.kind === 'requests')) {
    const impls = [...new Set(result.rows.filter((r) => r.scenario === s.name).map((r) => r.impl))]
    for (const impl of impls) {
      const at = (c: number) =>
        result.rows.find((r) => r.scenario === s.name && r.impl === impl && r.concurrency === c)
      const c1 = at(1)
      const c100 = at(100)
      const mb = c1?.mb_s !== undefined ? ` (${num(c1.mb_s, 0)} MB/s)` : ''
      const mb100 = c100?.mb_s !== undefined ? ` (${num(c100.mb_s, 0)} MB/s)` : ''
      out.push(
        `| ${s.title} | ${impl} | ${rate(c1?.rps)}${mb} | ${rate(c100?.rps)}${mb100} | ${num(c1?.p50_us)} / ${num(c1?.p99_us)} | ${num(c100?.p50_us)} / ${num(c100?.p99_us)} |`,
      )
    }
  }
  out.push('')
  out.push('### Ratios, pair by pair')
  out.push('')
  out.push(
    'Throughput of the first impl over the second, computed within each run, then median (min–max) over the runs; "extra ns/op" is the time per op the first costs on top of the second (1e9/rps difference; at c100 it is amortised).',
  )
  out.push('')
  out.push(
    "For load scenarios (a client in a peer process), \"server capacity\" is the second impl's CPU time per request over the first's, measured in the server's process over the measured pass (the client says when it starts; the warm-up, with its JIT compilation and first connections, is kept apart as `cpu_all_us` in the raw figures): the throughput each would reach at steady state with the server as the only bottleneck, whatever the client or a noisy neighbour did to the wall-clock rate.",
  )
  out.push('')
  out.push('| scenario | c | pair | throughput ratio | extra ns/op | server capacity |')
  out.push('|---|---|---|---|---|---|')
  for (const r of result.ratios.filter((x) => x.metric === 'rps')) {
    const title = scenarios.find((s) => s.name === r.scenario)?.title ?? r.scenario
    const capacity = r.capacity === undefined ? '–' : times(r.capacity)
    out.push(
      `| ${title} | ${r.concurrency} | ${r.a} ÷ ${r.b} | ${times(r.ratio)} | ${plain(r.extra_ns, 'ns')} | ${capacity} |`,
    )
  }
  return out
}

function otherTables(result: RunResult, scenarios: Scenario[]): string[] {
  const out: string[] = []
  const memory = result.rows.filter((r) => r.scenario === 'memory')
  if (memory.length) {
    out.push('## Memory after warm-up and GC', '')
    out.push('| impl | RSS MB | heap MB | RSS over the floor | heap over the floor |')
    out.push('|---|---|---|---|---|')
    for (const r of memory) {
      const over = result.ratios.find(
        (x) => x.scenario === 'memory' && x.a === r.impl && x.b === 'floor',
      )
      out.push(
        `| ${r.impl} | ${num(r.rss_mb, 1)} | ${num(r.heap_mb, 1)} | ${plain(over?.extra_rss_mb, 'MB')} | ${plain(over?.extra_heap_mb, 'MB')} |`,
      )
    }
    out.push('')
  }
  const startups = scenarios.filter((x) => x.kind === 'startup')
  const startup = result.rows.filter((r) => startups.some((x) => x.name === r.scenario))
  if (startup.length) {
    out.push('## Start-up', '')
    out.push('| scenario | impl | ms to ready | Plexus ÷ other, speed-up |')
    out.push('|---|---|---|---|')
    for (const r of startup) {
      const title = startups.find((x) => x.name === r.scenario)?.title ?? r.scenario
      const ratio = result.ratios.find(
        (x) => x.scenario === r.scenario && x.a === 'plexus' && x.b === r.impl,
      )
      out.push(`| ${title} | ${r.impl} | ${num(r.ms)} | ${ratio ? times(ratio.ratio) : ''} |`)
    }
    out.push('')
  }
  const replace = result.rows.filter((r) => r.scenario === 'hot-replace')
  if (replace.length) {
    out.push('## Hot replace under load (c100)', '')
    out.push(
      '| impl | steady p50 / p99 µs | during switch p50 / p99 µs | switch ms | failed requests |',
    )
    out.push('|---|---|---|---|---|')
    for (const r of replace)
      out.push(
        `| ${r.impl} | ${num(r.p50_us)} / ${num(r.p99_us)} | ${num(r.switch_p50_us)} / ${num(r.switch_p99_us)} | ${num(r.switch_ms)} | ${r.errors ?? '–'} |`,
      )
    out.push('')
  }
  return out
}

function profileSection(profile: ProfileSummary | undefined): string[] {
  const out = ['## Where an in-process call spends its time', '']
  if (!profile)
    return [...out, '_No profile in this run (Plexus not available, or --no-profile)._', '']
  out.push(
    `V8's CPU profiler (the one behind \`node --cpu-prof\`, 100 µs sampling, positions mapped back to the TypeScript sources) over the Plexus \`call\` scenario at c1, after set-up: warm-up plus a full-size untimed pass. Self time of the samples taken inside the load loop: ${profile.loop_ms} ms of ${profile.total_ms} ms profiled; the garbage collector took ${profile.gc_ms} ms. The harness's own lines (bench/src/measure.ts, \`performance.now\`) are the loop every side pays. Regenerated by every run.`,
    '',
  )
  out.push('| self % | self ms | function | where |', '|---|---|---|---|')
  for (const e of profile.top)
    out.push(`| ${e.self_pct} | ${e.self_ms} | \`${e.fn}\` | ${e.where} |`)
  out.push('', 'By file:', '', '| self % | self ms | file |', '|---|---|---|')
  for (const f of profile.files) out.push(`| ${f.self_pct} | ${f.self_ms} | ${f.where} |`)
  out.push('')
  return out
}

/** Renders the whole page; keeps the notes block of the existing page. */
export function renderDoc(result: RunResult, scenarios: Scenario[], notes: string): string {
  const m = result.machine
  const out = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/src/report.ts); edit only between the notes markers. -->',
    '',
    `Run: ${result.generated}, ${result.mode} mode, ${result.runs} run(s) of each measurement, request-count scale ${result.scale}, ${result.seconds} s. Raw figures: [bench/results/latest.json](../bench/results/latest.json).`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}; load average at start ${m.loadavg_start.join(' / ')}. Node ${m.node}, npm ${m.npm}, Moleculer ${m.moleculer}, nats.js ${m.nats}, nats-server ${m.nats_server}, @plexus/kernel ${m.kernel} at ${m.commit}. ${m.pinned ? 'Each measurement ran pinned: its main thread on CPU 0, the peer processes it started (guests, hosts, socket and Moleculer servers) on CPU 1.' : 'Not pinned (no taskset or one core).'}`,
    '',
    '**Compare ratios measured side by side in one run; absolute numbers drift with the machine and its load.**',
    '',
    '## Method',
    '',
    '- Every measurement is a fresh `node --expose-gc --conditions=plexus-source --import tsx` process running one implementation only; they run one at a time. The kernel is loaded from its TypeScript source through tsx (the transpiled code is what runs; the hot loop is plain JS).',
    '- Each process warms up (a quarter of the request count, repeated until at least 0.5 s has passed), takes throughput from an untimed pass of the request count or 1 s worth of requests at the warm-up rate, whichever is more, then p50/p99 from a separate pass that reads `performance.now()` around every request. `c` lanes each await one request at a time. Without the time floors, fast sides finished a pass in a tenth of a second and the figure measured V8 tiering up rather than the steady state (the child-process link read ~160k calls/s after 10k warm-up requests and ~350k after 50k).',
    '- Runs are interleaved (every implementation of every scenario, then again) and ratios are computed within a run, then reported as the median with min–max.',
    '- Quick mode (`npm run bench -- --quick`) runs a fifth of the requests and of the time floors, once: a check before and after a change, not a figure to quote.',
    '- Payloads are the same object on every side (`{ a: 1, b: 2 }`, 1 KiB stream chunks); the floors are the physical limits: a bare function call, a raw `MessagePort`, a raw socket, raw NATS publish.',
    '- Adding a scenario (a new link, a new feature) is one file in `bench/src/scenarios/` exporting `defineScenario({ kind, name, impls: { plexus, moleculer, floor } })`; every impl loads its modules lazily so a process holds only its own side.',
    '',
    '### What differs between the sides',
    '',
    ...scenarios.filter((s) => s.notes).map((s) => `- **${s.title}** (\`${s.name}\`): ${s.notes}`),
    '',
  ]
  if (result.skipped.length)
    out.push('Not measured in this run:', '', ...result.skipped.map((s) => `- ${s}`), '')
  if (result.failures.length)
    out.push(
      'Failed measurements:',
      '',
      ...result.failures.map((f) => `- ${f.split('\n')[0] ?? f}`),
      '',
    )
  if (result.retried.length)
    out.push(
      'Measurements that failed once and were retried:',
      '',
      ...result.retried.map((f) => `- ${f}`),
      '',
    )
  out.push('## Targets', '', ...evaluateTargets(result), '')
  out.push('## Analysis', '', notes, '')
  out.push('## Request scenarios', '', ...requestTables(result, scenarios), '')
  out.push(...otherTables(result, scenarios))
  out.push(...profileSection(result.profile))
  return out.join('\n')
}

/** Writes the page at `path`, keeping its notes block. */
export function writeDoc(path: string, result: RunResult, scenarios: Scenario[]): void {
  let notes = DEFAULT_NOTES
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8')
    const a = old.indexOf(NOTES_START)
    const b = old.indexOf(NOTES_END)
    if (a !== -1 && b > a) notes = old.slice(a, b + NOTES_END.length)
  }
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, renderDoc(result, scenarios, notes))
}
