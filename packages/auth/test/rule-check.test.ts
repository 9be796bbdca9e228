import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileRule, decide, type Principal, type Rule } from '@plexus/auth'

// A small seeded generator: the same 20,000 cases on every run.
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f']
const CALLERS = ['orders', 'payments', 'cart']

function some(next: () => number, from: readonly string[]): string[] {
  return from.filter(() => next() < 0.35)
}

function rule(next: () => number): Rule {
  const r: Record<string, unknown> = {}
  if (next() < 0.1) r.public = next() < 0.5
  if (next() < 0.2) r.authenticated = next() < 0.5
  if (next() < 0.5) r.roles = some(next, NAMES)
  if (next() < 0.4) r.scopes = some(next, NAMES)
  if (next() < 0.3)
    r.claims = next() < 0.5 ? { tenant: 't1' } : { plan: ['pro', 'team'], tenant: 't2' }
  if (next() < 0.4) r.callers = some(next, CALLERS)
  return r
}

function principal(next: () => number): Principal | undefined {
  if (next() < 0.25) return undefined
  const tenant = ['t1', 't2', undefined][Math.floor(next() * 3)]
  const plan = ['pro', 'free', undefined][Math.floor(next() * 3)]
  return {
    sub: 'u',
    roles: some(next, NAMES),
    scopes: some(next, NAMES),
    tenant,
    iss: undefined,
    claims: { tenant, plan },
  }
}

test('a compiled rule decides exactly as decide() on 20,000 generated rule × principal × caller cases', () => {
  const next = prng(13)
  const seen = new Set<string>()
  for (let i = 0; i < 20_000; i++) {
    const r = rule(next)
    const p = principal(next)
    const caller = next() < 0.5 ? undefined : CALLERS[Math.floor(next() * CALLERS.length)]
    const want = decide(r, p, caller)
    assert.equal(compileRule(r)(p, caller), want, JSON.stringify({ r, p, caller }))
    seen.add(want)
  }
  assert.deepEqual(
    [...seen].sort(),
    ['allow', 'forbidden', 'unauthorized'],
    'every decision was made',
  )
})
