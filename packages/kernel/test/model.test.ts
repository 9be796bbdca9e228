import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { defineService, isPlexusError, type Kernel } from '@plexus/kernel'
import { quietKernel } from './helpers.js'

interface Model {
  services: Map<string, number>
}

interface Real {
  kernel: Kernel<any>
  violations: string[]
  deliveries: string[]
  next: number
}

const NAMES = ['a', 'b', 'c'] as const

/** A service whose instances know whether they were stopped, to catch routing to a stopped one. */
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
      who: async () => {
        guard('call')
        await new Promise((r) => setImmediate(r))
        return { name, version }
      },
    },
    events: {
      'evt.*': (ctx) => {
        guard('event')
        real.deliveries.push(`${ctx.topic}:${name}`)
      },
    },
  })
}

/** Awaits `promise`, failing the run if it never settles (a hung call). */
async function settles<T>(
  promise: Promise<T>,
  what: string,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${what}`)), 2000)
  })
  try {
    return { ok: true, value: await Promise.race([promise, hang]) }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hung')) throw error
    return { ok: false, error }
  } finally {
    clearTimeout(timer)
  }
}

type Cmd = fc.AsyncCommand<Model, Real>

class Add implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => !m.services.has(this.name)
  async run(m: Model, r: Real) {
    r.kernel.add(service(this.name, 1, r))
    m.services.set(this.name, 1)
  }
  toString = () => `add(${this.name})`
}

class Remove implements Cmd {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => m.services.has(this.name)
  async run(m: Model, r: Real) {
    await r.kernel.remove(this.name)
    m.services.delete(this.name)
  }
  toString = () => `remove(${this.name})`
}

class Replace implements Cmd {
  constructor(
    readonly name: string,
    readonly load: number,
  ) {}
  check = (m: Readonly<Model>) => m.services.has(this.name)
  async run(m: Model, r: Real) {
    const from = m.services.get(this.name)!
    const to = from + 1
    const calls = Array.from({ length: this.load }, () => r.kernel.call(`${this.name}.who`))
    await r.kernel.replace(this.name, service(this.name, to, r))
    const after = r.kernel.call(`${this.name}.who`)
    for (const outcome of await Promise.all(
      calls.map((c, i) => settles(c, `call ${i} during replace`)),
    )) {
      assert.ok(outcome.ok, `a call during replace failed: ${String(!outcome.ok && outcome.error)}`)
      assert.ok([from, to].includes((outcome.value as { version: number }).version))
    }
    assert.deepEqual(
      await after,
      { name: this.name, version: to },
      'after the switch only the new version answers',
    )
    m.services.set(this.name, to)
  }
  toString = () => `replace(${this.name}, load ${this.load})`
}

class Call implements Cmd {
  constructor(readonly name: string) {}
  check = () => true
  async run(m: Model, r: Real) {
    const outcome = await settles(r.kernel.call(`${this.name}.who`), `call ${this.name}`)
    const version = m.services.get(this.name)
    if (version === undefined) {
      assert.ok(
        !outcome.ok && isPlexusError(outcome.error, 'NOT_FOUND'),
        `expected NOT_FOUND for ${this.name}`,
      )
    } else {
      assert.ok(outcome.ok, `call to ${this.name} failed: ${String(!outcome.ok && outcome.error)}`)
      assert.deepEqual(outcome.value, { name: this.name, version })
    }
  }
  toString = () => `call(${this.name})`
}

class Emit implements Cmd {
  check = () => true
  async run(m: Model, r: Real) {
    const topic = `evt.e${r.next++}`
    r.kernel.emit(topic)
    await new Promise((resolve) => setImmediate(resolve))
    const got = r.deliveries.filter((d) => d.startsWith(topic + ':')).sort()
    const expected = [...m.services.keys()].sort().map((n) => `${topic}:${n}`)
    assert.deepEqual(
      got,
      expected,
      'each subscribing service handles a balanced event exactly once',
    )
  }
  toString = () => 'emit'
}

describe('model-based lifecycle and routing (T25a, scaled)', () => {
  it('keeps every invariant over 1,000 random runs of up to 50 commands: calls end once, nothing reaches a stopped instance, events match the model', async () => {
    const name = fc.constantFrom(...NAMES)
    const commands = fc.commands(
      [
        name.map((n) => new Add(n)),
        name.map((n) => new Remove(n)),
        fc.tuple(name, fc.integer({ min: 0, max: 30 })).map(([n, l]) => new Replace(n, l)),
        name.map((n) => new Call(n)),
        fc.constant(new Emit()),
      ],
      { maxCommands: 50 },
    )
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const kernel = quietKernel({ drainTimeout: 1000 })
        await kernel.start()
        const real: Real = { kernel, violations: [], deliveries: [], next: 0 }
        try {
          await fc.asyncModelRun(() => ({ model: { services: new Map() }, real }), cmds)
          assert.deepEqual(real.violations, [])
          assert.equal(kernel.pendingCalls, 0)
        } finally {
          await kernel.stop()
        }
      }),
      { numRuns: 1000 },
    )
  })
})
