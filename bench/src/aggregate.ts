/** Turns per-run measurements into median rows and pair-by-pair ratios. */
import { spread } from './stats.js'
import type { Spread } from './stats.js'
import type { ImplName, Measurement, Scenario } from './scenario.js'

/** All runs of one (scenario, impl, concurrency); `runs[i]` is run i, undefined if it failed. */
export interface Series {
  scenario: Scenario
  impl: ImplName
  concurrency: number
  runs: Array<Measurement | undefined>
}

/** One row of latest.json: medians over the runs. */
export interface Row extends Measurement {
  scenario: string
  impl: ImplName
  concurrency: number
  runs: number
}

/** A ratio of impl `a` against impl `b`, computed run by run, then summarised. */
export interface Ratio {
  scenario: string
  concurrency: number
  a: ImplName
  b: ImplName
  /** What the ratio divides: for rps and ms, > 1 means `a` is better. */
  metric: 'rps' | 'ms' | 'switch_p99_us' | 'rss_mb'
  ratio: Spread
  /** rps scenarios: nanoseconds per op that `a` costs on top of `b` (1e9/rps difference). */
  extra_ns?: Spread
  /** load scenarios: server capacity of `a` over `b` (b's CPU per request ÷ a's); > 1 = a cheaper. */
  capacity?: Spread
  /** memory: MB of RSS / heap that `a` holds on top of `b`. */
  extra_rss_mb?: Spread
  extra_heap_mb?: Spread
}

const FIELDS = [
  'rps',
  'p50_us',
  'p99_us',
  'mb_s',
  'rss_mb',
  'heap_mb',
  'ms',
  'switch_p50_us',
  'switch_p99_us',
  'switch_ms',
  'errors',
  'cpu_us',
  'cpu_all_us',
] as const

const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 1000) / 1000)

/** Median of every field present in the runs. */
export function toRow(series: Series): Row {
  const ok = series.runs.filter((m): m is Measurement => m !== undefined)
  const row: Row = {
    scenario: series.scenario.name,
    impl: series.impl,
    concurrency: series.concurrency,
    runs: ok.length,
  }
  for (const field of FIELDS) {
    const values = ok.map((m) => m[field]).filter((v): v is number => typeof v === 'number')
    if (values.length) row[field] = round(spread(values).median)
  }
  return row
}

function pairwise(
  a: Series,
  b: Series,
  f: (x: Measurement, y: Measurement) => number | undefined,
): number[] {
  const out: number[] = []
  for (let i = 0; i < Math.min(a.runs.length, b.runs.length); i++) {
    const x = a.runs[i]
    const y = b.runs[i]
    if (!x || !y) continue
    const v = f(x, y)
    if (v !== undefined && Number.isFinite(v)) out.push(v)
  }
  return out
}

const roundSpread = (s: Spread): Spread => ({
  median: round(s.median),
  min: round(s.min),
  max: round(s.max),
})

/**
 * The pairs worth stating: Plexus against everything, the peer against the floors, each Plexus
 * variant (`plexus-metrics`, `plexus-ws`) against plain Plexus, and `plexus-plain` (the gateway
 * without its security headers) against the floors too.
 */
function pairs(impls: ImplName[]): Array<[ImplName, ImplName]> {
  const out: Array<[ImplName, ImplName]> = []
  const floors = impls.filter((i) => i.startsWith('floor'))
  if (impls.includes('plexus')) {
    for (const v of impls.filter((i) => i.startsWith('plexus-'))) out.push([v, 'plexus'])
  }
  if (impls.includes('plexus-plain')) for (const f of floors) out.push(['plexus-plain', f])
  if (impls.includes('plexus')) {
    if (impls.includes('moleculer')) out.push(['plexus', 'moleculer'])
    for (const f of floors) out.push(['plexus', f])
  }
  if (impls.includes('moleculer')) for (const f of floors) out.push(['moleculer', f])
  return out
}

/** Ratios pair by pair for every scenario and concurrency. */
export function ratios(all: Series[]): Ratio[] {
  const out: Ratio[] = []
  const groups = new Map<string, Series[]>()
  for (const s of all) {
    const key = `${s.scenario.name}\u0000${s.concurrency}`
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  for (const group of groups.values()) {
    const byImpl = new Map(group.map((s) => [s.impl, s]))
    const first = group[0]
    if (!first) continue
    for (const [ia, ib] of pairs([...byImpl.keys()])) {
      const a = byImpl.get(ia)
      const b = byImpl.get(ib)
      if (!a || !b) continue
      const base = { scenario: first.scenario.name, concurrency: first.concurrency, a: ia, b: ib }
      switch (first.scenario.kind) {
        case 'requests':
          out.push({
            ...base,
            metric: 'rps',
            ratio: roundSpread(spread(pairwise(a, b, (x, y) => (x.rps ?? NaN) / (y.rps ?? NaN)))),
            extra_ns: roundSpread(
              spread(pairwise(a, b, (x, y) => 1e9 / (x.rps ?? NaN) - 1e9 / (y.rps ?? NaN))),
            ),
            ...(a.runs.some((m) => m?.cpu_us !== undefined)
              ? {
                  capacity: roundSpread(
                    spread(pairwise(a, b, (x, y) => (y.cpu_us ?? NaN) / (x.cpu_us ?? NaN))),
                  ),
                }
              : {}),
          })
          break
        case 'memory':
          out.push({
            ...base,
            metric: 'rss_mb',
            ratio: roundSpread(
              spread(pairwise(a, b, (x, y) => (x.rss_mb ?? NaN) / (y.rss_mb ?? NaN))),
            ),
            extra_rss_mb: roundSpread(
              spread(pairwise(a, b, (x, y) => (x.rss_mb ?? NaN) - (y.rss_mb ?? NaN))),
            ),
            extra_heap_mb: roundSpread(
              spread(pairwise(a, b, (x, y) => (x.heap_mb ?? NaN) - (y.heap_mb ?? NaN))),
            ),
          })
          break
        case 'startup':
          out.push({
            ...base,
            metric: 'ms',
            ratio: roundSpread(spread(pairwise(a, b, (x, y) => (y.ms ?? NaN) / (x.ms ?? NaN)))),
          })
          break
        case 'replace':
          out.push({
            ...base,
            metric: 'switch_p99_us',
            ratio: roundSpread(
              spread(pairwise(a, b, (x, y) => (y.switch_p99_us ?? NaN) / (x.switch_p99_us ?? NaN))),
            ),
          })
          break
      }
    }
  }
  return out
}
