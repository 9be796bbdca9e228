/**
 * The load loops every implementation goes through, so that the loop's own cost is the same on
 * every side and cancels out in the ratios. Each measurement process drives one implementation
 * only, which keeps the call sites here monomorphic.
 */
import { quantileSorted } from './stats.js'
import type { Counts, Measurement, RequestTarget } from './scenario.js'

/** Request counts of one measurement (defined beside the scenario shapes, which use it too). */
export type { Counts } from './scenario.js'

/** Most warm-up rounds, so a side that never reaches the minimum time still ends. */
const MAX_WARMUP_ROUNDS = 40

/** Runs `total` ops with `concurrency` lanes, no clock reads inside. */
export async function untimedPass(op: () => unknown, total: number, concurrency: number) {
  let left = total
  const lane = async () => {
    while (left-- > 0) await op()
  }
  const lanes: Promise<void>[] = []
  for (let i = 0; i < concurrency; i++) lanes.push(lane())
  await Promise.all(lanes)
}

/** Runs `samples.length` ops and records each one's latency in ms; returns start times too. */
export async function timedPass(
  op: () => unknown,
  samples: Float64Array,
  concurrency: number,
  starts?: Float64Array,
) {
  let next = 0
  const total = samples.length
  const lane = async () => {
    while (next < total) {
      const i = next++
      const t0 = performance.now()
      await op()
      samples[i] = performance.now() - t0
      if (starts) starts[i] = t0
    }
  }
  const lanes: Promise<void>[] = []
  for (let i = 0; i < concurrency; i++) lanes.push(lane())
  await Promise.all(lanes)
}

/** Warm-up, then throughput from an untimed pass and p50/p99 from a separate timed pass. */
export async function measureRequests(
  target: RequestTarget,
  concurrency: number,
  counts: Counts,
): Promise<Measurement> {
  const { op } = target
  const minMs = counts.minMs ?? 0
  // Warm-up: at least `warmup` requests and at least half of minMs (clock read between rounds).
  const w0 = performance.now()
  let warmed = 0
  let rounds = 0
  do {
    await untimedPass(op, counts.warmup, concurrency)
    warmed += counts.warmup
  } while (performance.now() - w0 < minMs / 2 && ++rounds < MAX_WARMUP_ROUNDS)
  // The untimed pass: at least `untimed` requests, more if the warm-up rate says it would end
  // before minMs. Every side gets the same rule, so the ratios stay like for like.
  const rate = warmed / Math.max(performance.now() - w0, 1)
  const untimed = Math.max(counts.untimed, Math.ceil(rate * minMs))
  globalThis.gc?.()
  const t0 = performance.now()
  await untimedPass(op, untimed, concurrency)
  const seconds = (performance.now() - t0) / 1000
  const samples = new Float64Array(counts.timed)
  await timedPass(op, samples, concurrency)
  samples.sort()
  const items = target.itemsPerOp ?? 1
  const result: Measurement = {
    rps: (untimed * items) / seconds,
    p50_us: quantileSorted(samples, 0.5) * 1000,
    p99_us: quantileSorted(samples, 0.99) * 1000,
  }
  if (target.bytesPerOp !== undefined) result.mb_s = (untimed * target.bytesPerOp) / seconds / 1e6
  return result
}

/** Steady-state latency at `concurrency`, then latency of the requests issued while replacing. */
export async function measureReplace(
  target: RequestTarget,
  concurrency: number,
  requests: number,
): Promise<Measurement> {
  const { op, replace } = target
  if (!replace) throw new Error('replace scenario without a replace() on its target')
  let errors = 0
  let issued = 0
  let trigger = Number.POSITIVE_INFINITY
  let switchStart = 0
  let switchEnd = Number.POSITIVE_INFINITY
  let switching: Promise<void> | undefined
  // The switch starts from inside the load, once a quarter of the pass is issued: in-process
  // requests resolve in microtasks, so a timer would only fire after the pass is over.
  const guarded = async () => {
    if (++issued === trigger) {
      switchStart = performance.now()
      switching = replace().then(() => {
        switchEnd = performance.now()
      })
    }
    try {
      await op()
    } catch {
      errors++
    }
  }
  await untimedPass(guarded, requests >> 1, concurrency)
  const t0 = performance.now()
  await untimedPass(guarded, requests, concurrency)
  const rps = requests / ((performance.now() - t0) / 1000)
  const steady = new Float64Array(requests)
  await timedPass(guarded, steady, concurrency)
  errors = 0
  issued = 0
  trigger = requests >> 2
  const during = new Float64Array(requests)
  const starts = new Float64Array(requests)
  await timedPass(guarded, during, concurrency, starts)
  await switching
  // Requests issued during the switch, plus the 1 ms after it while queues drain.
  const window: number[] = []
  for (let i = 0; i < requests; i++) {
    const s = starts[i] as number
    if (s >= switchStart && s <= switchEnd + 1) window.push(during[i] as number)
  }
  window.sort((a, b) => a - b)
  steady.sort()
  return {
    rps,
    p50_us: quantileSorted(steady, 0.5) * 1000,
    p99_us: quantileSorted(steady, 0.99) * 1000,
    switch_p50_us: quantileSorted(window, 0.5) * 1000,
    switch_p99_us: quantileSorted(window, 0.99) * 1000,
    switch_ms: switchEnd - switchStart,
    errors,
  }
}
