import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  createKernel,
  defineService,
  isPlexusError,
  silentLogger,
  type Context,
} from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import { until } from '@plexus/testing'
import {
  auth,
  createVerifier,
  PRINCIPAL_KEY,
  type Policies,
  type Principal,
  type Rule,
} from '@plexus/auth'
import { guarded } from './fixtures/guarded.js'
import { rsaKey, sign } from './tokens.js'

const POLICIES = {
  actions: {
    'i.a': { roles: ['r1'] },
    'i.*': { scopes: ['s1'] },
    'w.a': { roles: ['r2'], callers: ['caller-a'] },
    'w.b': { claims: { tenant: 't1' } },
    'w.*': { authenticated: true },
    'p.a': { public: true },
    'p.b': { callers: ['caller-b'] },
    'p.c': { scopes: ['s2'], claims: { tenant: ['t1', 't2'] } },
    'p.$x': { roles: ['r3'] },
    'caller-a.relay': { public: true },
    'caller-b.relay': { public: true },
    'recorder.note': { callers: ['i', 'w', 'p'] },
  },
  streams: {
    'i.s': { roles: ['r1', 'r2'] },
    'w.s': { scopes: ['s2'] },
    'p.*': { claims: { tenant: ['t1', 't2'] } },
  },
  events: {
    'ev.one': { callers: ['caller-a'] },
    'ev.two': { roles: ['r1'] },
    'ev.t*': { authenticated: true },
  },
} satisfies Policies

type Outcome = 'allow' | 'UNAUTHORIZED' | 'FORBIDDEN'

// The model, written from the policy's meaning and not from the implementation: an exact key,
// else the one wildcard key this table has for the name; internal names only by exact key.
function ruleOf(verb: 'actions' | 'streams' | 'events', address: string): Rule | undefined {
  const table: Record<string, Rule> = POLICIES[verb]
  if (table[address] !== undefined) return table[address]
  const last = address.split('.')[1] ?? ''
  if (last.startsWith('$') || last.startsWith('_')) return undefined
  if (verb === 'events') return address.startsWith('ev.t') ? table['ev.t*'] : undefined
  return table[`${address.split('.')[0]}.*`]
}

function model(
  verb: 'actions' | 'streams' | 'events',
  address: string,
  p: Principal | undefined,
  caller: string | undefined,
): Outcome {
  const rule = ruleOf(verb, address)
  if (rule === undefined) {
    const internal = /\.[$_]/.test(address)
    return internal && caller !== undefined ? 'allow' : 'FORBIDDEN'
  }
  if (rule.public) return 'allow'
  if (caller !== undefined && (rule.callers ?? []).includes(caller)) return 'allow'
  const wantsPrincipal = rule.authenticated || rule.roles || rule.scopes || rule.claims
  if (p === undefined) return wantsPrincipal ? 'UNAUTHORIZED' : 'FORBIDDEN'
  if (rule.authenticated) return 'allow'
  if ((rule.roles ?? []).some((r) => p.roles.includes(r))) return 'allow'
  if ((rule.scopes ?? []).some((s) => p.scopes.includes(s))) return 'allow'
  if (rule.claims) {
    const ok = Object.entries(rule.claims).every(([k, v]) =>
      Array.isArray(v) ? (v as unknown[]).includes(p.claims[k]) : p.claims[k] === v,
    )
    if (ok) return 'allow'
  }
  return 'FORBIDDEN'
}

// A seeded generator (mulberry32), so a failing case can be replayed.
function random(seed: number) {
  let s = seed >>> 0
  return (n: number) => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) % n
  }
}

test('T23: 10,000 generated (caller x target x verb) cases over inline, worker and process placements match the policy model', async (t) => {
  const key = rsaKey('k1')
  const verifier = createVerifier({ keys: [key.jwk], algorithms: ['RS256'] })
  const principals: (Principal | undefined)[] = [undefined]
  const subsets = <T>(xs: T[]): T[][] =>
    xs.reduce<T[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]])
  for (const roles of subsets(['r1', 'r2', 'r3']))
    for (const scopes of subsets(['s1', 's2']))
      for (const tenant of ['t1', 't2', undefined])
        principals.push(
          await verifier.verify(
            await sign(key, {
              sub: `u${principals.length}`,
              roles,
              scope: scopes.join(' '),
              tenant,
            }),
          ),
        )

  const notes = new Set<string>()
  const recorder = defineService({
    name: 'recorder',
    actions: {
      note: (_ctx: Context, n: { service: string; id: number }) =>
        void notes.add(`${n.service}:${n.id}`),
    },
  })
  const relay = (name: string) =>
    defineService({
      name,
      actions: {
        relay: async (ctx: Context, q: { verb: string; address: string; id: number }) => {
          if (q.verb === 'actions') return ctx.call(q.address, {})
          if (q.verb === 'streams') {
            for await (const item of ctx.stream(q.address, {})) return item
            return undefined
          }
          ctx.emit(q.address, { id: q.id })
          return 'ok'
        },
      },
    })
  const kernel = installIsolation(
    createKernel({ logger: silentLogger, plugins: [auth({ verifier, policies: POLICIES })] }),
  )
  kernel.add(guarded('i')).add(recorder).add(relay('caller-a')).add(relay('caller-b'))
  kernel.add(guarded('w'), {
    placement: 'worker',
    module: new URL('./fixtures/guarded-w.ts', import.meta.url).href,
  })
  kernel.add(guarded('p'), {
    placement: 'process',
    module: new URL('./fixtures/guarded-p.ts', import.meta.url).href,
  })
  await kernel.start()
  t.after(() => kernel.stop())

  const targets: ['actions' | 'streams' | 'events', string][] = []
  for (const svc of ['i', 'w', 'p']) {
    for (const a of ['a', 'b', 'c', '$x', '_y']) targets.push(['actions', `${svc}.${a}`])
    for (const s of ['s', 't']) targets.push(['streams', `${svc}.${s}`])
  }
  for (const topic of ['ev.one', 'ev.two', 'ev.three', 'ev.four']) targets.push(['events', topic])
  const callers = [undefined, 'caller-a', 'caller-b']
  const next = random(23)
  const mismatches: string[] = []
  const tally: Record<string, number> = {}
  const expectedNotes = new Set<string>()
  const CASES = 10_000
  const run = async (id: number) => {
    const [verb, address] = targets[next(targets.length)]!
    // One case in four is anonymous, so rules that need a principal are exercised without one too.
    const principal = next(4) === 0 ? undefined : principals[1 + next(principals.length - 1)]
    const caller = callers[next(callers.length)]
    const expected = model(verb, address, principal, caller)
    const meta = principal === undefined ? {} : { [PRINCIPAL_KEY]: principal }
    let got: string
    try {
      if (caller !== undefined)
        await kernel.call(`${caller}.relay`, { verb, address, id }, { meta })
      else if (verb === 'actions') await kernel.call(address, {}, { meta })
      else if (verb === 'streams') for await (const _ of kernel.stream(address, {}, { meta })) break
      else kernel.emit(address, { id }, { meta })
      got = 'allow'
    } catch (error) {
      got = isPlexusError(error) ? error.code : String(error)
    }
    if (verb === 'events') {
      // An event's decision shows as its deliveries: one per subscribing service, or none.
      if (expected === 'allow') for (const s of ['i', 'w', 'p']) expectedNotes.add(`${s}:${id}`)
    } else if (got !== expected) {
      mismatches.push(
        `${verb} ${address} by ${caller ?? 'edge'} as ${principal?.sub ?? 'anonymous'}: ${got}, model ${expected}`,
      )
    }
    tally[`${verb}:${expected}`] = (tally[`${verb}:${expected}`] ?? 0) + 1
  }
  for (let id = 0; id < CASES; id += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => run(id + j)))
  }
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`)
  await until('every allowed event delivered', () =>
    notes.size >= expectedNotes.size ? true : undefined,
  )
  // Denied events would show as extra notes; a final allowed event from every service fences them.
  const fence = CASES + 1
  kernel.emit('ev.three', { id: fence }, { meta: { [PRINCIPAL_KEY]: principals[1]! } })
  await until('the fence event delivered', () =>
    ['i', 'w', 'p'].every((s) => notes.has(`${s}:${fence}`)) ? true : undefined,
  )
  for (const s of ['i', 'w', 'p']) notes.delete(`${s}:${fence}`)
  assert.deepEqual(
    [...notes].filter((n) => !expectedNotes.has(n)),
    [],
    'denied events delivered',
  )
  assert.equal(notes.size, expectedNotes.size)
  // Every kind of decision was exercised, on every verb.
  for (const verb of ['actions', 'streams'])
    for (const o of ['allow', 'FORBIDDEN', 'UNAUTHORIZED'])
      assert.ok((tally[`${verb}:${o}`] ?? 0) > 50, `${verb}:${o} ${JSON.stringify(tally)}`)
  assert.ok(
    (tally['events:allow'] ?? 0) > 50 && (tally['events:FORBIDDEN'] ?? 0) > 50,
    JSON.stringify(tally),
  )
})
