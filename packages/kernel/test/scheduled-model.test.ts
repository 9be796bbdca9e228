import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { defineService, isPlexusError, type Kernel } from '@plexus/kernel'
import { eventually, quietKernel, reportGates, scale } from './helpers.js'

// T25a over the inline placement: fast-check's scheduler decides when each handler in flight
// resumes and when a pending unregister or replace is seen to end, so lifecycle commands land
// between a call's start and its end in every order the shrinker can find. (The scheduler runs
// a command atomically, so no command awaits what a paused call holds up: an unregister or
// replace is started, and its end is itself a scheduled task.) An inline instance cannot die without
// taking the kernel with it, so "crash" here is the inline fault: the service's handlers
// throw until "restart" clears it (the worker model, in packages/isolate, crashes for real).

/** 1,000 runs in CI (RELIABILITY.md); 10,000 at full scale (nightly asks 100k). */
const RUNS = scale({ small: 1_000, full: 10_000 })
const MAX_COMMANDS = 50

const NAMES = ['a', 'b', 'c'] as const

/** One registered service in the model. */
interface Entry {
  version: number
  crashed: boolean
  /** An unregister or replace started and not yet seen to end (then no other lifecycle command). */
  pending?: 'removing' | 'replacing'
}

interface Model {
  /** Registered services (a removing one stays until its removal is seen to end). */
  services: Map<string, Entry>
}

/** One call made by a Call command, checked when it settles and again at the end of the run. */
interface CallRecord {
  readonly id: number
  readonly name: string
  /** The model's entry when the call started (undefined: not registered). */
  readonly expect: Readonly<Entry> | undefined
  settled: number
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown }
}

interface Real {
  kernel: Kernel<any>
  s: fc.Scheduler
  violations: string[]
  deliveries: string[]
  crashed: Set<string>
  calls: CallRecord[]
  /** Unregisters and replaces in progress. */
  lifecycle: Promise<unknown>[]
  /** How many times the handler ran for each call id (must be ≤ 1). */
  runs: Map<number, number>
  next: number
}

/** Version `version` of `name`: its instances know when they were stopped. */
function service(name: string, version: number, real: Real) {
  let stopped = false
  const guard = (what: string) => {
    if (stopped) real.violations.push(`${what} ran on stopped ${name}@${version}`)
  }
  return defineService({
    name,
    version,
    stopped: () => {
      stopped = true
    },
    actions: {
      who: async (_ctx, { id }: { id: number }) => {
        guard(`call #${id}`)
        real.runs.set(id, (real.runs.get(id) ?? 0) + 1)
        if (real.crashed.has(name)) throw new Error(`${name} is crashed`)
        // In flight until the scheduler lets it go: lifecycle commands can land meanwhile.
        await real.s.schedule(Promise.resolve(), `who#${id} on ${name}@${version}`)
        guard(`call #${id} (after its pause)`)
        return { name, version }
      },
    },
    events: {
      'evt.*': (ctx) => {
        guard(`event ${ctx.topic}`)
        if (real.crashed.has(name)) throw new Error(`${name} is crashed`)
        real.deliveries.push(`${ctx.topic}:${name}`)
      },
    },
  })
}

type Cmd = fc.AsyncCommand<Model, Real>

class Register implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => !m.services.has(this.name)
  async run(m: Model, r: Real) {
    r.kernel.add(service(this.name, 1, r))
    m.services.set(this.name, { version: 1, crashed: false })
    // Registering after start starts the service: wait for it (a condition, bounded).
    assert.ok(await eventually(() => running(r.kernel, this.name, 1)), `${this.name} started`)
  }
  toString = () => `register(${this.name})`
}

/**
 * Resolves after `operation` ends and then a scheduled task is released (scheduling `operation`
 * itself would make the scheduler wait for it, and so for the paused calls it drains).
 */
const seen = (r: Real, operation: Promise<unknown>, label: string): Promise<unknown> =>
  operation.then(() => r.s.schedule(Promise.resolve(), label))

class Unregister implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.has(this.name) && !m.services.get(this.name)!.pending
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)!
    entry.pending = 'removing'
    // Draining waits for the calls in flight, which wait for the scheduler: started, not
    // awaited; once it has ended, the scheduler decides when the model sees it.
    const done = seen(r, r.kernel.remove(this.name), `removed ${this.name}`).then(() => {
      m.services.delete(this.name)
      r.crashed.delete(this.name)
    })
    r.lifecycle.push(done)
  }
  toString = () => `unregister(${this.name})`
}

class Replace implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.has(this.name) && !m.services.get(this.name)!.pending
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)!
    entry.pending = 'replacing'
    const next = service(this.name, entry.version + 1, r)
    const replaced = r.kernel.replace(this.name, next)
    const done = seen(r, replaced, `replaced ${this.name}`).then(() => {
      entry.version++
      delete entry.pending
    })
    r.lifecycle.push(done)
  }
  toString = () => `replace(${this.name})`
}

class Crash implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.get(this.name)?.crashed === false
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)
    if (entry === undefined) return // removed between its check and its run
    r.crashed.add(this.name)
    entry.crashed = true
  }
  toString = () => `crash(${this.name})`
}

class Restart implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.get(this.name)?.crashed === true
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)
    if (entry === undefined) return // removed between its check and its run
    r.crashed.delete(this.name)
    entry.crashed = false
  }
  toString = () => `restart(${this.name})`
}

/** Starts a call and leaves it in flight; its outcome is checked when it settles. */
class Call implements Cmd {
  constructor(readonly name: string) {}
  check = () => true
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)
    const record: CallRecord = {
      id: r.next++,
      name: this.name,
      expect: entry === undefined ? undefined : { ...entry },
      settled: 0,
    }
    r.calls.push(record)
    r.kernel.call(`${this.name}.who`, { id: record.id }).then(
      (value) => {
        record.settled++
        record.outcome = { ok: true, value }
      },
      (error: unknown) => {
        record.settled++
        record.outcome = { ok: false, error }
      },
    )
    // The call is in flight once its handler runs (or it was refused): the next command lands
    // after that, so the model's expectation above is the one the kernel saw.
    for (let i = 0; i < 1000 && !r.runs.has(record.id) && record.settled === 0; i++) {
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  toString = () => `call(${this.name})`
}

class Emit implements Cmd {
  check = () => true
  async run(m: Model, r: Real) {
    const topic = `evt.e${r.next++}`
    const errorsBefore = r.kernel.counters.eventErrors
    const entries = [...m.services]
    const settled = entries.filter(([, e]) => e.pending !== 'removing')
    const healthy = settled.filter(([, e]) => !e.crashed).map(([n]) => `${topic}:${n}`)
    const crashed = settled.filter(([, e]) => e.crashed).length
    const removing = entries.filter(([, e]) => e.pending === 'removing').map(([n]) => n)
    r.kernel.emit(topic)
    const got = () => r.deliveries.filter((d) => d.startsWith(topic + ':'))
    const failures = () => r.kernel.counters.eventErrors - errorsBefore
    await eventually(
      () =>
        got().filter((d) => healthy.includes(d)).length >= healthy.length && failures() >= crashed,
    )
    await new Promise((resolve) => setImmediate(resolve))
    const seen = got()
    assert.deepEqual(
      seen.filter((d) => healthy.includes(d)).sort(),
      healthy.sort(),
      `${topic}: each live subscriber handles it once`,
    )
    // A service being removed may still take it, once at most; nobody else may.
    const extra = seen.filter((d) => !healthy.includes(d)).map((d) => d.slice(topic.length + 1))
    for (const n of extra) assert.ok(removing.includes(n), `${topic} reached ${n}`)
    assert.equal(new Set(extra).size, extra.length, `${topic} taken twice by a removing service`)
    assert.ok(failures() >= crashed && failures() <= crashed + removing.length, `${topic} failures`)
  }
  toString = () => 'emit'
}

/** fc.assert, with the counterexample's own error in the message (fast-check keeps it as cause). */
async function assertNamingCause(run: Promise<void>): Promise<void> {
  try {
    await run
  } catch (error) {
    const cause = (error as Error).cause
    if (cause instanceof Error)
      (error as Error).message += `\nCaused by: ${cause.stack ?? cause.message}`
    throw error
  }
}

function running(kernel: Kernel<any>, name: string, version: number): boolean {
  return kernel
    .services()
    .some((s) => s.name === name && s.version === version && s.state === 'running')
}

/** Checks one settled call against the model's entry when it started. */
function checkCall(call: CallRecord): void {
  const entry = call.expect
  const what = `call #${call.id} to ${call.name} (model: ${JSON.stringify(entry)})`
  assert.equal(call.settled, 1, `${what} settled ${call.settled} times`)
  const outcome = call.outcome!
  const code = outcome.ok ? 'ok' : isPlexusError(outcome.error) ? outcome.error.code : 'no code'
  if (entry === undefined) return void assert.equal(code, 'NOT_FOUND', what)
  // Mid-removal, the service may already be gone.
  if (entry.pending === 'removing' && ['NOT_FOUND', 'UNAVAILABLE'].includes(code)) return
  if (entry.crashed) return void assert.equal(code, 'HANDLER', what)
  assert.equal(code, 'ok', `${what}: ${String(!outcome.ok && outcome.error)}`)
  const { name, version } = (outcome as { value: { name: string; version: number } }).value
  assert.equal(name, call.name, what)
  // Routed to the version running at its start or, mid-replace, to the next one.
  const newest = entry.pending === 'replacing' ? entry.version + 1 : entry.version
  assert.ok(version >= entry.version && version <= newest, `${what} answered by v${version}`)
}

describe('scheduled model runs with faults over the inline placement (T25a)', () => {
  it(`${RUNS.toLocaleString('en')} scheduled runs of ≤ ${MAX_COMMANDS} register/unregister/replace/call/emit/crash/restart commands: every call ends exactly once, nothing reaches a stopped instance, events match the model`, async () => {
    const name = fc.constantFrom(...NAMES)
    const commands = fc.commands(
      [
        name.map((n) => new Register(n)),
        name.map((n) => new Unregister(n)),
        name.map((n) => new Replace(n)),
        name.map((n) => new Call(n)),
        name.map((n) => new Call(n)),
        name.map((n) => new Crash(n)),
        name.map((n) => new Restart(n)),
        fc.constant(new Emit()),
      ],
      { maxCommands: MAX_COMMANDS, size: 'max' },
    )
    let calls = 0
    let runs = 0
    await assertNamingCause(
      fc.assert(
        fc.asyncProperty(fc.scheduler(), commands, async (s, cmds) => {
          const kernel = quietKernel({ drainTimeout: 5_000 })
          await kernel.start()
          const real: Real = {
            kernel,
            s,
            violations: [],
            deliveries: [],
            crashed: new Set(),
            calls: [],
            lifecycle: [],
            runs: new Map(),
            next: 0,
          }
          try {
            await fc.scheduledModelRun(s, () => ({ model: { services: new Map() }, real }), cmds)
            // Let every pause go and every unregister/replace end; then check each call.
            await s.waitFor(Promise.all(real.lifecycle))
            await s.waitAll()
            assert.ok(
              await eventually(() => real.calls.every((c) => c.settled > 0), 2_000),
              `${real.calls.filter((c) => c.settled === 0).length} calls hung`,
            )
            for (const call of real.calls) checkCall(call)
            for (const [id, n] of real.runs) assert.ok(n <= 1, `call #${id} handled ${n} times`)
            assert.deepEqual(real.violations, [])
            assert.equal(kernel.pendingCalls, 0)
            calls += real.calls.length
            runs++
          } finally {
            await kernel.stop()
          }
        }),
        { numRuns: RUNS },
      ),
    )
    reportGates('T25a inline', `${runs} runs x <= ${MAX_COMMANDS} commands`, {
      calls,
      counterexamples: 0,
    })
  })
})
