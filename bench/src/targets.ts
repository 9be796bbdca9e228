/** The targets of BENCHMARKS.md, checked against a run: met, missed by how much, or not measured. */
import type { Ratio, Row } from './aggregate.js'
import type { ImplName } from './scenario.js'

interface Figures {
  rows: Row[]
  ratios: Ratio[]
}

interface Check {
  target: string
  /** The measured value and whether it meets, or undefined when not measured. */
  measure: (f: Figures) => { text: string; ok: boolean; miss?: string } | undefined
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2))
const signed = (x: number) => (x >= 0 ? '+' : '') + fmt(x)

function ratio(f: Figures, scenario: string, c: number, a: ImplName, b: ImplName) {
  return f.ratios.find(
    (r) => r.scenario === scenario && r.concurrency === c && r.a === a && r.b === b,
  )
}

function atLeast(scenario: string, c: number, b: ImplName, want: number): Check['measure'] {
  return (f) => {
    const r = ratio(f, scenario, c, 'plexus', b)
    if (!r || !Number.isFinite(r.ratio.median)) return undefined
    const got = r.ratio.median
    return {
      text: `c${c}: ${fmt(got)}× ${b}`,
      ok: got >= want,
      miss: `${fmt(want / got)}× short of ${want}×`,
    }
  }
}

function all(...parts: Array<Check['measure']>): Check['measure'] {
  return (f) => {
    const got = parts.map((p) => p(f))
    if (got.some((g) => g === undefined)) return undefined
    const done = got as Array<{ text: string; ok: boolean; miss?: string }>
    const misses = done.filter((d) => !d.ok).map((d) => `${d.text.split(':')[0]}: ${d.miss}`)
    return {
      text: done.map((d) => d.text).join('; '),
      ok: misses.length === 0,
      miss: misses.join('; '),
    }
  }
}

/** Plexus rows of two scenarios: `a`'s rps over `b`'s at each concurrency must reach `want`. */
function rowsAtLeast(a: string, b: string, cs: number[], want: number): Check['measure'] {
  return (f) => {
    const rps = (s: string, c: number) =>
      f.rows.find((r) => r.scenario === s && r.impl === 'plexus' && r.concurrency === c)?.rps
    const parts = cs.map((c) => [c, rps(a, c), rps(b, c)] as const)
    if (parts.some(([, x, y]) => x === undefined || y === undefined)) return undefined
    const got = parts.map(([c, x, y]) => [c, (x as number) / (y as number)] as const)
    const short = got.filter(([, r]) => r < want)
    return {
      text: got.map(([c, r]) => `c${c}: ${fmt(r)}× ${b}`).join('; '),
      ok: short.length === 0,
      miss: short.map(([c, r]) => `c${c} ${fmt(want / r)}× short of ${want}×`).join('; '),
    }
  }
}

/** A Plexus variant (`plexus-ws`) over plain Plexus in one scenario, at least `want`×. */
/**
 * A load scenario's target judged on server capacity (CPU per request in the server's process
 * over the measured pass; see the ratios table), the wall-clock throughput ratio shown beside it: on a shared 2-core
 * box the wall-clock rate of one HTTP pass swings ±40 % between runs, its CPU cost does not.
 */
function serverAtLeast(
  scenario: string,
  c: number,
  a: ImplName,
  b: ImplName,
  want: number,
): Check['measure'] {
  return (f) => {
    const r = ratio(f, scenario, c, a, b)
    const got = r?.capacity?.median
    if (!r || got === undefined || !Number.isFinite(got)) return undefined
    return {
      text: `c${c}: capacity ${fmt(got)}× ${b} (throughput ${fmt(r.ratio.median)}×)`,
      ok: got >= want,
      miss: `${fmt(want / got)}× short of ${want}×`,
    }
  }
}

/** What a Plexus variant costs per op over plain Plexus at c1; `limit` undefined = reported. */
function variantCost(scenario: string, variant: ImplName, limit?: number): Check['measure'] {
  return (f) => {
    const ns = ratio(f, scenario, 1, variant, 'plexus')?.extra_ns?.median
    if (ns === undefined || !Number.isFinite(ns)) return undefined
    return {
      text: `c1: ${signed(ns)} ns per call`,
      ok: limit === undefined || ns <= limit,
      miss: `${fmt(ns - (limit ?? 0))} ns over`,
    }
  }
}

/** The in-process call's cost over a bare `await fn()`, at most `limit` ns. */
function callOverBare(limit: number): Check['measure'] {
  return (f) => {
    const r = ratio(f, 'call', 1, 'plexus', 'floor')
    const ns = r?.extra_ns?.median
    if (ns === undefined || !Number.isFinite(ns)) return undefined
    return { text: `c1: ${signed(ns)} ns`, ok: ns <= limit, miss: `${fmt(ns - limit)} ns over` }
  }
}

const CHECKS: Check[] = [
  { target: 'in-process call, deadline on: ≤ 100 ns over bare', measure: callOverBare(100) },
  {
    target: 'in-process call after the seam redesign (issue 10): ≤ 60 ns over bare',
    measure: callOverBare(60),
  },
  {
    target: 'in-process call and emit with 1,000 other services registered: within 5 %',
    measure: all(
      rowsAtLeast('call-crowded', 'call', [1, 100], 0.95),
      rowsAtLeast('emit-crowded', 'emit', [1, 100], 0.95),
    ),
  },
  {
    target: 'in-process call, deadline on: ≥ 1.5× Moleculer local',
    measure: all(atLeast('call', 1, 'moleculer', 1.5), atLeast('call', 100, 'moleculer', 1.5)),
  },
  {
    target: 'in-process call + retry + circuit breaker + deadline: ≥ 3× Moleculer local-full',
    measure: all(
      atLeast('call-full', 1, 'moleculer', 3),
      atLeast('call-full', 100, 'moleculer', 3),
    ),
  },
  {
    target: 'in-process emit → 1 subscriber: ≥ 2× Moleculer',
    measure: all(atLeast('emit', 1, 'moleculer', 2), atLeast('emit', 100, 'moleculer', 2)),
  },
  {
    target: 'child-process call, c100: ≥ 3× Moleculer-TCP and ≥ 0.8× raw coalesced socket',
    measure: all(
      atLeast('child-process', 100, 'moleculer', 3),
      atLeast('child-process', 100, 'floor-coalesced', 0.8),
    ),
  },
  {
    target: 'child-process call, c1: ≥ 0.95× raw socket',
    measure: atLeast('child-process', 1, 'floor', 0.95),
  },
  {
    target: 'worker-thread call: faster than child-process',
    measure: (f) => {
      const rps = (s: string, c: number) =>
        f.rows.find((r) => r.scenario === s && r.impl === 'plexus' && r.concurrency === c)?.rps
      const parts = [1, 100].map((c) => [c, rps('worker', c), rps('child-process', c)] as const)
      if (parts.some(([, w, p]) => w === undefined || p === undefined)) return undefined
      const ok = parts.every(([, w, p]) => (w as number) > (p as number))
      const text = parts
        .map(([c, w, p]) => `c${c}: ${fmt((w as number) / (p as number))}×`)
        .join('; ')
      return { text, ok, miss: 'slower than the process link' }
    },
  },
  {
    target: 'remote TCP call, c100: ≥ 0.9× the child-process link and ≥ 3× Moleculer-TCP',
    measure: all(
      rowsAtLeast('remote-tcp', 'child-process', [100], 0.9),
      atLeast('remote-tcp', 100, 'moleculer', 3),
    ),
  },
  {
    target: 'remote TCP call, c1: ≥ 0.9× raw socket',
    measure: atLeast('remote-tcp', 1, 'floor', 0.9),
  },
  {
    target: 'remote WebSocket call, c100: ≥ 0.7× remote TCP',
    measure: rowsAtLeast('remote-ws', 'remote-tcp', [100], 0.7),
  },
  {
    target: 'across two nodes over NATS, c100: ≥ 1.5× Moleculer-NATS and ≥ 0.9× raw NATS',
    measure: all(atLeast('nats', 100, 'moleculer', 1.5), atLeast('nats', 100, 'floor', 0.9)),
  },
  {
    target: 'across two nodes over NATS, c1: ≥ 0.9× raw NATS',
    measure: atLeast('nats', 1, 'floor', 0.9),
  },
  {
    target:
      'durable emit -> handler over JetStream, c100: ≥ 0.8× raw JetStream publish + pull consume',
    measure: atLeast('durable', 100, 'floor', 0.8),
  },
  {
    target: 'plain events across two nodes over NATS, c100: ≥ 1.5× Moleculer-NATS events',
    measure: atLeast('nats-emit', 100, 'moleculer', 1.5),
  },
  {
    target:
      'gateway aliased GET → inline action, c100: ≥ 0.95× bare fastify, ≥ 1.25× moleculer-web',
    measure: all(
      serverAtLeast('http-get', 100, 'plexus', 'floor-fastify', 0.95),
      serverAtLeast('http-get', 100, 'plexus', 'moleculer', 1.25),
    ),
  },
  {
    target: 'gateway WebSocket call path, c100: ≥ 2× the HTTP path in calls/s',
    measure: serverAtLeast('http-ws', 100, 'plexus-ws', 'plexus', 2),
  },
  {
    target: 'in-process call with the metrics plug-in on: within +10 ns of metrics off',
    measure: variantCost('call-observe', 'plexus-metrics', 10),
  },
  {
    target: 'in-process call with tracing on (one span per call): reported',
    measure: variantCost('call-observe', 'plexus-tracing'),
  },
  {
    target: 'call to an active actor (memory kv): ≤ 2× a plain in-process call (≥ 0.5× its rate)',
    measure: all(atLeast('actor-call', 1, 'floor', 0.5), atLeast('actor-call', 100, 'floor', 0.5)),
  },
  {
    target: 'kv get through the kv service on Redis, c100: ≥ 0.8× a bare client GET',
    measure: atLeast('kv-redis', 100, 'floor', 0.8),
  },
  {
    target:
      'kv get on Redis vs a bare client with the same settings (no per-command timer): reported',
    measure: (f) => {
      const got = [1, 100].map(
        (c) => ratio(f, 'kv-redis', c, 'plexus', 'floor-untimed')?.ratio.median,
      )
      if (got.some((r) => r === undefined || !Number.isFinite(r))) return undefined
      return { text: `c1: ${fmt(got[0]!)}×; c100: ${fmt(got[1]!)}×`, ok: true }
    },
  },
  {
    target: 'kernel + 1 service memory: ≤ +8 MB RSS over bare Node',
    measure: (f) => {
      const mb = ratio(f, 'memory', 1, 'plexus', 'floor')?.extra_rss_mb?.median
      if (mb === undefined || !Number.isFinite(mb)) return undefined
      return { text: `${signed(mb)} MB RSS`, ok: mb <= 8, miss: `${fmt(mb - 8)} MB over` }
    },
  },
  {
    target: 'ACL check on the in-process path (issue 13): ≤ 30 ns per call',
    measure: nsOver('call-acl', 30),
  },
  {
    target: 'all of @plexus/auth on a call carrying a principal (trust + ACL): reported',
    measure: (f) => {
      const got = [1, 100].map(
        (c) => ratio(f, 'call-acl', c, 'plexus', 'floor-no-auth')?.extra_ns?.median,
      )
      if (got.some((ns) => ns === undefined || !Number.isFinite(ns))) return undefined
      return { text: `c1: ${signed(got[0]!)} ns; c100: ${signed(got[1]!)} ns`, ok: true }
    },
  },
  {
    target: '@plexus/auth installed, call without a principal (trust interceptor): reported',
    measure: (f) => {
      const ns = ratio(f, 'call-trust', 1, 'plexus', 'floor')?.extra_ns?.median
      if (ns === undefined || !Number.isFinite(ns)) return undefined
      return { text: `c1: ${signed(ns)} ns`, ok: true }
    },
  },
  {
    target: 'gateway call with a verified, cached JWT (issue 13): ≤ 5 % throughput cost',
    measure: serverAtLeast('gateway-auth', 100, 'plexus', 'floor', 0.95),
  },
  readyWithin('kernel + 10 inline services ready: < 20 ms', 'startup', 20),
  {
    target:
      'start-up with 1,000 services: no worse than linear (ms per service ≤ the 10-service figure)',
    measure: (f) => {
      const ms = (s: string) => f.rows.find((r) => r.scenario === s && r.impl === 'plexus')?.ms
      const few = ms('startup')
      const many = ms('startup-crowded')
      if (few === undefined || many === undefined) return undefined
      const per = [few / 10, many / 1002]
      return {
        text: `${fmt(per[0]! * 1000)} µs/service at 10, ${fmt(per[1]! * 1000)} µs/service at 1,002`,
        ok: per[1]! <= per[0]!,
        miss: `${fmt(per[1]! / per[0]!)}× the per-service time`,
      }
    },
  },
  {
    target: 'memory per idle service (1,000 services × 3 instances): reported',
    measure: (f) => {
      const rss = (s: string) => ratio(f, s, 1, 'plexus', 'floor')?.extra_rss_mb?.median
      const one = rss('memory')
      const many = rss('memory-crowded')
      if (one === undefined || many === undefined) return undefined
      const kb = ((many - one) * 1024) / 1000
      return { text: `${fmt(kb)} KB RSS per idle service`, ok: true }
    },
  },
  readyWithin('one worker service ready (built): < 150 ms', 'startup-worker', 150),
  readyWithin('one process service ready (built, issue 3): < 300 ms', 'startup-process', 300),
]

/** The Plexus side of `scenario` costs at most `limit` ns per op over its floor, at c1 and c100. */
function nsOver(scenario: string, limit: number): Check['measure'] {
  return (f) => {
    const got = [1, 100].map(
      (c) => [c, ratio(f, scenario, c, 'plexus', 'floor')?.extra_ns?.median] as const,
    )
    if (got.some(([, ns]) => ns === undefined || !Number.isFinite(ns))) return undefined
    const over = got.filter(([, ns]) => (ns as number) > limit)
    return {
      text: got.map(([c, ns]) => `c${c}: ${signed(ns as number)} ns`).join('; '),
      ok: over.length === 0,
      miss: over.map(([c, ns]) => `c${c} ${fmt((ns as number) - limit)} ns over`).join('; '),
    }
  }
}

/** A start-up target: the Plexus side of `scenario` ready in under `limit` ms. */
function readyWithin(target: string, scenario: string, limit: number): Check {
  return {
    target,
    measure: (f) => {
      const ms = f.rows.find((r) => r.scenario === scenario && r.impl === 'plexus')?.ms
      if (ms === undefined) return undefined
      return { text: `${fmt(ms)} ms`, ok: ms < limit, miss: `${fmt(ms - limit)} ms over` }
    },
  }
}

/** Markdown table lines: target, measured (medians), verdict. */
export function evaluateTargets(f: Figures): string[] {
  const out = ['| target (BENCHMARKS.md) | measured (median) | verdict |', '|---|---|---|']
  for (const check of CHECKS) {
    const got = check.measure(f)
    const verdict = !got ? 'not measured yet' : got.ok ? 'met' : `**missed**: ${got.miss}`
    out.push(`| ${check.target} | ${got?.text ?? '–'} | ${verdict} |`)
  }
  return out
}
