/**
 * One measurement in a fresh process: `child.ts <scenario-file> <impl> <json-options>`.
 * Prints one `BENCH_RESULT {...}` line; anything else on stdout is ignored by the runner.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { findSourceMap } from 'node:module'
import { pathToFileURL } from 'node:url'
import { measureReplace, measureRequests } from './measure.js'
import { pinPeers } from './pin.js'
import { RESULT_MARKER } from './child-protocol.js'
import type { ChildOptions } from './child-protocol.js'
import type { ImplName, Measurement, Scenario } from './scenario.js'

async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function need<F>(factory: F | undefined, scenario: Scenario, impl: ImplName): F {
  if (!factory) throw new Error(`scenario '${scenario.name}' has no implementation '${impl}'`)
  return factory
}

/**
 * A load measurement with this (the server's) process's CPU time per request the client sent,
 * warm-up included (`cpu_all_us`); `cpu_us` is the measured pass's alone when the load gave it.
 */
async function withServerCpu(load: () => Promise<Measurement>): Promise<Measurement> {
  const before = process.cpuUsage()
  const measured = await load()
  const used = process.cpuUsage(before)
  if (measured.requests === undefined || measured.requests <= 0) return measured
  const all = (used.user + used.system) / measured.requests
  return { ...measured, cpu_us: measured.cpu_us ?? all, cpu_all_us: all }
}

async function measure(scenario: Scenario, impl: ImplName, options: ChildOptions) {
  switch (scenario.kind) {
    case 'requests': {
      const target = await need(scenario.impls[impl], scenario, impl)()
      pinPeers()
      try {
        // A load target's client runs in a peer process (pinned above) and measures itself.
        return 'load' in target
          ? await withServerCpu(() => target.load(options.concurrency, options.counts))
          : await measureRequests(target, options.concurrency, options.counts)
      } finally {
        await target.close?.()
      }
    }
    case 'replace': {
      const target = await need(scenario.impls[impl], scenario, impl)()
      try {
        return await measureReplace(target, options.concurrency, options.counts.timed)
      } finally {
        await target.close?.()
      }
    }
    case 'memory': {
      const target = await need(scenario.impls[impl], scenario, impl)()
      for (let i = 0; i < options.counts.warmup; i++) await target.op()
      await settle()
      const { rss, heapUsed } = process.memoryUsage()
      await target.close?.()
      return { rss_mb: rss / 1048576, heap_mb: heapUsed / 1048576 } satisfies Measurement
    }
    case 'startup': {
      const start = await need(scenario.impls[impl], scenario, impl)()
      await settle()
      const t0 = performance.now()
      const started = await start()
      const measured = performance.now() - t0
      if (typeof started === 'function') {
        await started()
        return { ms: measured } satisfies Measurement
      }
      await started.close()
      return { ms: started.ms } satisfies Measurement
    }
  }
}

const [file, impl, json] = process.argv.slice(2)
if (!file || !impl || !json) throw new Error('usage: child.ts <scenario-file> <impl> <json>')
const scenario = ((await import(pathToFileURL(file).href)) as { default: Scenario }).default
/**
 * Runs `body` under V8's CPU profiler (what `--cpu-prof` uses) and writes the profile with its
 * positions mapped back to the TypeScript sources: tsx strips whitespace, so raw positions are
 * all on line 1.
 */
async function profiled<T>(path: string, body: () => Promise<T>): Promise<T> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  await session.post('Profiler.start')
  const result = await body()
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  for (const node of profile.nodes) {
    const frame = node.callFrame
    if (!frame.url.startsWith('file:')) continue
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
    if (entry && 'originalLine' in entry) {
      frame.lineNumber = entry.originalLine
      frame.columnNumber = entry.originalColumn
    }
  }
  writeFileSync(path, JSON.stringify(profile))
  return result
}

const options = JSON.parse(json) as ChildOptions
const run = () => measure(scenario, impl as ImplName, options)
const result = options.profile ? await profiled(options.profile, run) : await run()
process.stdout.write(RESULT_MARKER + JSON.stringify(result) + '\n')
// Peers leave timers and sockets behind; the measurement is done.
process.exit(0)
