import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  createKernel,
  defineService,
  isPlexusError,
  silentLogger,
  type Context,
} from '@plexus/kernel'
import { nats } from '@plexus/nats'
import { remote, runHost } from '@plexus/remote'
import { reportGates, scale, serverSkip, startNatsServer, until } from '@plexus/testing'
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

// The same matrix as t23-policies.test.ts, over the two placements whose instances live in
// another process the kernel only reaches over a link: `r` on a remote host (TCP), `n` on another
// node of a NATS cluster. The kernel that attached them enforces the policies (docs/security.md).
const POLICIES = {
  actions: {
    'r.a': { roles: ['r1'] },
    'r.*': { scopes: ['s1'] },
    'n.a': { roles: ['r2'], callers: ['caller-a'] },
    'n.b': { claims: { tenant: 't1' } },
    'n.*': { authenticated: true },
    'r.$x': { roles: ['r3'] },
    'n.c': { scopes: ['s2'], claims: { tenant: ['t1', 't2'] } },
    'caller-a.relay': { public: true },
    'caller-b.relay': { public: true },
    'recorder.note': { callers: ['r', 'n'] },
  },
  streams: {
    'r.s': { roles: ['r1', 'r2'] },
    'n.s': { scopes: ['s2'] },
    'n.*': { claims: { tenant: ['t1', 't2'] } },
  },
  events: {
    'ev.one': { callers: ['caller-a'] },
    'ev.two': { roles: ['r1'] },
    'ev.t*': { authenticated: true },
  },
} satisfies Policies

type Verb = 'actions' | 'streams' | 'events'
type Outcome = 'allow' | 'UNAUTHORIZED' | 'FORBIDDEN'

// The model, written from the policy's meaning (docs/security.md "Policies"), not the code.
function ruleOf(verb: Verb, address: string): Rule | undefined {
  const table: Record<string, Rule> = POLICIES[verb]
  if (table[address] !== undefined) return table[address]
  const last = address.split('.')[1] ?? ''
  if (last.startsWith('$') || last.startsWith('_')) return undefined
  if (verb === 'events') return address.startsWith('ev.t') ? table['ev.t*'] : undefined
  return table[`${address.split('.')[0]}.*`]
}

function model(
  verb: Verb,
  address: string,
  p: Principal | undefined,
  caller: string | undefined,
): Outcome {
  const rule = ruleOf(verb, address)
  if (rule === undefined) {
    return /\.[$_]/.test(address) && caller !== undefined ? 'allow' : 'FORBIDDEN'
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

const PLACED = ['r', 'n']

test(
  'T23: generated (caller x target x verb) cases over remote and NATS placements match the policy model',
  { skip: serverSkip('nats-server', 'nats-server') },
  async (t) => {
    const CASES = scale({ small: 4_000, full: 10_000 })
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
    // Registered before the server starts, so the kernels and the host stop before it does.
    const stops: (() => Promise<void>)[] = []
    t.after(async () => {
      for (const stop of stops.reverse()) await stop()
    })
    const server = await startNatsServer(t)
    const links = remote({ tcp: 'tcp://127.0.0.1:0', token: 'test-token-0123456789' })
    const kernel = createKernel({
      node: 'edge',
      logger: silentLogger,
      plugins: [
        auth({ verifier, policies: POLICIES }),
        links,
        nats({ servers: server.url, namespace: 't23' }),
      ],
    })
    kernel.add(recorder).add(relay('caller-a')).add(relay('caller-b'))
    // The other node runs `n` and no auth plug-in: the edge node decides, before the link.
    const other = createKernel({
      node: 'other',
      logger: silentLogger,
      plugins: [nats({ servers: server.url, namespace: 't23' })],
    })
    other.add(guarded('n'))
    await kernel.start()
    stops.push(() => kernel.stop())
    await other.start()
    stops.push(() => other.stop())
    const host = runHost(guarded('r'), {
      connect: links.addresses.tcp!,
      token: 'test-token-0123456789',
      logger: silentLogger,
    })
    stops.push(() => host.stop())
    await until('r (remote) and n (node) attached', () =>
      kernel.describe('r.a') && kernel.describe('n.a') ? true : undefined,
    )

    const targets: [Verb, string][] = []
    for (const svc of PLACED) {
      for (const a of ['a', 'b', 'c', '$x', '_y']) targets.push(['actions', `${svc}.${a}`])
      for (const s of ['s', 't']) targets.push(['streams', `${svc}.${s}`])
    }
    for (const topic of ['ev.one', 'ev.two', 'ev.three', 'ev.four']) targets.push(['events', topic])
    const callers = [undefined, 'caller-a', 'caller-b']
    const next = random(2324)
    const mismatches: string[] = []
    const tally: Record<string, number> = {}
    const expectedNotes = new Set<string>()
    const run = async (id: number) => {
      const [verb, address] = targets[next(targets.length)]!
      const principal = next(4) === 0 ? undefined : principals[1 + next(principals.length - 1)]
      const caller = callers[next(callers.length)]
      const expected = model(verb, address, principal, caller)
      const meta = principal === undefined ? {} : { [PRINCIPAL_KEY]: principal }
      let got: string
      try {
        if (caller !== undefined)
          await kernel.call(`${caller}.relay`, { verb, address, id }, { meta })
        else if (verb === 'actions') await kernel.call(address, {}, { meta })
        else if (verb === 'streams')
          for await (const _ of kernel.stream(address, {}, { meta })) break
        else kernel.emit(address, { id }, { meta })
        got = 'allow'
      } catch (error) {
        got = isPlexusError(error) ? error.code : String(error)
      }
      if (verb === 'events') {
        if (expected === 'allow') for (const s of PLACED) expectedNotes.add(`${s}:${id}`)
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
    await until(
      'every allowed event delivered',
      () => (notes.size >= expectedNotes.size ? true : undefined),
      { ms: 30_000 },
    )
    const fence = CASES + 1
    kernel.emit('ev.three', { id: fence }, { meta: { [PRINCIPAL_KEY]: principals[1]! } })
    await until('the fence event delivered', () =>
      PLACED.every((s) => notes.has(`${s}:${fence}`)) ? true : undefined,
    )
    for (const s of PLACED) notes.delete(`${s}:${fence}`)
    const extra = [...notes].filter((n) => !expectedNotes.has(n))
    reportGates('T23-links', `${CASES} cases`, {
      mismatches: mismatches.length,
      deniedDelivered: extra.length,
    })
    assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`)
    assert.deepEqual(extra, [], 'denied events delivered')
    assert.equal(notes.size, expectedNotes.size)
    for (const verb of ['actions', 'streams'])
      for (const o of ['allow', 'FORBIDDEN', 'UNAUTHORIZED'])
        assert.ok((tally[`${verb}:${o}`] ?? 0) > 20, `${verb}:${o} ${JSON.stringify(tally)}`)
    assert.ok(
      (tally['events:allow'] ?? 0) > 20 && (tally['events:FORBIDDEN'] ?? 0) > 20,
      JSON.stringify(tally),
    )
  },
)
