import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { defineService, isPlexusError, type Kernel } from '@plexus/kernel'
import { scale } from '@plexus/testing'
import { modelService } from './fixtures/model-service.js'
import { eventually, fixture, isolatedKernel } from './helpers.js'

// T25a over the worker placement: the same commands as the kernel's inline model, with real
// crashes (the guest exits; the supervisor restarts it). Calls run in real workers, so the
// scheduler orders what the test can control: when each call's outcome is observed relative
// to the next commands. Each worker takes a while to start, hence fewer runs than inline.

const RUNS = scale({ small: 40, full: 400 })
const MAX_COMMANDS = scale({ small: 30, full: 50 })
const NAMES = ['a', 'b'] as const
const settings = { restart: { intensity: 1000, period: 60_000, backoff: 10 } }

interface Entry {
  version: number
  /** A crash was made and the restart not yet awaited. */
  crashed: boolean
}

interface Model {
  services: Map<string, Entry>
}

interface CallRecord {
  readonly id: number
  readonly name: string
  readonly expect: Readonly<Entry> | undefined
  /** The service's fault epoch (crashes + removals) when the call started. */
  readonly epoch: number
  observed: number
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown }
}

interface Real {
  kernel: Kernel<any>
  s: fc.Scheduler
  calls: CallRecord[]
  /** Calls the guests ran, by id (each at most once). */
  ran: Map<number, number>
  /** `topic:name` for each event a guest handled. */
  events: string[]
  violations: string[]
  epochs: Map<string, number>
  next: number
}

const moduleOf = (name: string, version: number) =>
  `${fixture('model-service')}?name=${name}&version=${version}`

/** The kernel's inline side of the model: what the guests report lands here. */
function sink(real: Real) {
  type Report = { name: string; version: number; stopped: boolean }
  return defineService({
    name: 'sink',
    actions: {
      ran: (_ctx, { id, name, version, stopped }: Report & { id: number }) => {
        if (stopped) real.violations.push(`call #${id} ran on stopped ${name}@${version}`)
        real.ran.set(id, (real.ran.get(id) ?? 0) + 1)
      },
      event: (_ctx, { topic, name, version, stopped }: Report & { topic: string }) => {
        if (stopped) real.violations.push(`${topic} ran on stopped ${name}@${version}`)
        real.events.push(`${topic}:${name}`)
      },
    },
  })
}

const status = (kernel: Kernel<any>, name: string) => kernel.services().find((s) => s.name === name)
const bump = (r: Real, name: string) => r.epochs.set(name, (r.epochs.get(name) ?? 0) + 1)

type Cmd = fc.AsyncCommand<Model, Real>

class Register implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => !m.services.has(this.name)
  async run(m: Model, r: Real) {
    r.kernel.add(modelService(this.name, 1), {
      placement: 'worker',
      module: moduleOf(this.name, 1),
      settings,
    })
    m.services.set(this.name, { version: 1, crashed: false })
    assert.ok(
      await eventually(() => status(r.kernel, this.name)?.state === 'running', 30_000),
      `${this.name} started`,
    )
  }
  toString = () => `register(${this.name})`
}

class Unregister implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.has(this.name)
  async run(m: Model, r: Real) {
    bump(r, this.name)
    await r.kernel.remove(this.name)
    m.services.delete(this.name)
  }
  toString = () => `unregister(${this.name})`
}

class Replace implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.get(this.name)?.crashed === false
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)!
    const next = entry.version + 1
    await r.kernel.replace(this.name, modelService(this.name, next), {
      placement: 'worker',
      module: moduleOf(this.name, next),
      settings,
    })
    entry.version = next
  }
  toString = () => `replace(${this.name})`
}

/** Ends the guest (process.exit in the worker); the supervisor restarts it. */
class Crash implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.get(this.name)?.crashed === false
  async run(m: Model, r: Real) {
    bump(r, this.name)
    const error = await r.kernel.call(`${this.name}.crash`).then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.ok(isPlexusError(error, 'UNAVAILABLE'), `crash of ${this.name}: ${String(error)}`)
    m.services.get(this.name)!.crashed = true
  }
  toString = () => `crash(${this.name})`
}

/** Waits (bounded) for the supervisor's restart of a crashed guest. */
class Restart implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.get(this.name)?.crashed === true
  async run(m: Model, r: Real) {
    assert.ok(
      await eventually(
        () => status(r.kernel, this.name)?.instances[0]?.state === 'running',
        30_000,
      ),
      `${this.name} restarted`,
    )
    m.services.get(this.name)!.crashed = false
  }
  toString = () => `restart(${this.name})`
}

/** Starts a call; the scheduler decides when its outcome is observed. */
class Call implements Cmd {
  constructor(
    readonly name: string,
    readonly ms: number,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    const entry = m.services.get(this.name)
    const record: CallRecord = {
      id: r.next++,
      name: this.name,
      expect: entry === undefined ? undefined : { ...entry },
      epoch: r.epochs.get(this.name) ?? 0,
      observed: 0,
    }
    r.calls.push(record)
    const outcome = r.kernel
      .call(`${this.name}.who`, { id: record.id, ms: this.ms }, { deadline: 20_000 })
      .then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      )
    void r.s.schedule(outcome, `outcome of call #${record.id}`).then((o) => {
      record.observed++
      record.outcome = o
    })
  }
  toString = () => `call(${this.name}, ${this.ms} ms)`
}

class Emit implements Cmd {
  check = () => true
  async run(m: Model, r: Real) {
    const topic = `evt.e${r.next++}`
    const live = [...m.services].filter(([, e]) => !e.crashed).map(([n]) => `${topic}:${n}`)
    r.kernel.emit(topic)
    const got = () => r.events.filter((e) => e.startsWith(topic + ':'))
    await eventually(() => live.every((e) => got().includes(e)), 15_000)
    assert.deepEqual(
      got()
        .filter((e) => live.includes(e))
        .sort(),
      live.sort(),
      `${topic}: live subscribers`,
    )
    // A crashed (restarting) subscriber may take it once its guest is back, still only once.
    assert.equal(new Set(got()).size, got().length, `${topic} handled twice`)
  }
  toString = () => 'emit'
}

/** Checks one observed call against the model at its start. */
function checkCall(r: Real, call: CallRecord): void {
  const what = `call #${call.id} to ${call.name} (model: ${JSON.stringify(call.expect)})`
  assert.equal(call.observed, 1, `${what} observed ${call.observed} times`)
  const outcome = call.outcome!
  const ran = r.ran.get(call.id) ?? 0
  assert.ok(ran <= 1, `${what} ran ${ran} times`)
  if (call.expect === undefined) {
    assert.ok(!outcome.ok && isPlexusError(outcome.error, 'NOT_FOUND'), what)
    return
  }
  if (!outcome.ok) {
    // Only a crash or removal of its service after it started may fail it, and then UNAVAILABLE.
    assert.ok(isPlexusError(outcome.error, 'UNAVAILABLE'), `${what}: ${String(outcome.error)}`)
    assert.ok((r.epochs.get(call.name) ?? 0) > call.epoch, `${what} failed with no fault`)
    return
  }
  const value = outcome.value as { name: string; version: number; stopped: boolean }
  assert.equal(ran, 1, `${what} answered without running once`)
  assert.equal(value.name, call.name, what)
  assert.equal(value.stopped, false, `${what} answered by a stopped instance`)
  assert.ok(value.version >= call.expect.version, `${what} answered by v${value.version}`)
}

describe('scheduled model runs with faults over the worker placement (T25a)', () => {
  it(`${RUNS} scheduled runs of ≤ ${MAX_COMMANDS} register/unregister/replace/call/emit/crash/restart commands over workers: every call ends exactly once, nothing reaches a stopped instance, events match the model`, async () => {
    const name = fc.constantFrom(...NAMES)
    const commands = fc.commands(
      [
        name.map((n) => new Register(n)),
        name.map((n) => new Unregister(n)),
        name.map((n) => new Replace(n)),
        fc.tuple(name, fc.constantFrom(0, 10, 50, 1500)).map(([n, ms]) => new Call(n, ms)),
        fc.tuple(name, fc.constantFrom(0, 10, 50, 1500)).map(([n, ms]) => new Call(n, ms)),
        name.map((n) => new Crash(n)),
        name.map((n) => new Restart(n)),
        fc.constant(new Emit()),
      ],
      { maxCommands: MAX_COMMANDS, size: 'max' },
    )
    let calls = 0
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), commands, async (s, cmds) => {
        const kernel = isolatedKernel({ drainTimeout: 10_000 })
        const real: Real = {
          kernel,
          s,
          calls: [],
          ran: new Map(),
          events: [],
          violations: [],
          epochs: new Map(),
          next: 0,
        }
        kernel.add(sink(real))
        await kernel.start()
        try {
          await fc.scheduledModelRun(s, () => ({ model: { services: new Map() }, real }), cmds)
          await s.waitAll()
          assert.ok(
            await eventually(() => real.calls.every((c) => c.observed > 0), 25_000),
            `${real.calls.filter((c) => c.observed === 0).length} calls hung`,
          )
          for (const call of real.calls) checkCall(real, call)
          assert.deepEqual(real.violations, [])
          calls += real.calls.length
        } finally {
          await kernel.stop()
        }
        assert.equal(kernel.pendingCalls, 0)
      }),
      { numRuns: RUNS },
    )
    console.log(`T25a worker: ${RUNS} runs of <= ${MAX_COMMANDS} commands, ${calls} calls checked`)
  })
})
