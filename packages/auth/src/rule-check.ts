import type { Principal } from './principal.js'
import type { Decision, Rule } from './policy.js'

/** A rule compiled into one function: the decision for a principal (or none) and a caller. */
export type RuleCheck = (principal: Principal | undefined, caller: string | undefined) => Decision

type PrincipalTest = (principal: Principal) => boolean

const ALLOW: RuleCheck = () => 'allow'
const FORBID: RuleCheck = () => 'forbidden'

/**
 * Compiles a rule once (per handler, when the kernel compiles it) into a check that decides
 * exactly as `decide(rule, …)` does, but reads only the conditions the rule has: no per-message
 * walk over absent conditions, no allocation, a single role compared without a loop.
 * @example
 * const check = compileRule({ roles: ['customer'] })
 * check(principal, undefined) // 'allow' | 'unauthorized' | 'forbidden'
 */
export function compileRule(rule: Rule): RuleCheck {
  if (rule.public === true) return ALLOW
  const needsPrincipal =
    rule.authenticated === true ||
    rule.roles !== undefined ||
    rule.scopes !== undefined ||
    rule.claims !== undefined
  const absent: Decision = needsPrincipal ? 'unauthorized' : 'forbidden'
  const test = principalTest(rule)
  const callers = rule.callers
  if (callers === undefined || callers.length === 0) {
    if (test === undefined)
      return needsPrincipal ? (p) => (p === undefined ? absent : 'forbidden') : FORBID
    return (p) => (p === undefined ? absent : test(p) ? 'allow' : 'forbidden')
  }
  const byCaller = memberOf(callers)
  if (test === undefined) {
    return (p, caller) =>
      caller !== undefined && byCaller(caller) ? 'allow' : p === undefined ? absent : 'forbidden'
  }
  return (p, caller) =>
    caller !== undefined && byCaller(caller)
      ? 'allow'
      : p === undefined
        ? absent
        : test(p)
          ? 'allow'
          : 'forbidden'
}

// The principal-side conditions ORed together, each specialised to its shape.
function principalTest(rule: Rule): PrincipalTest | undefined {
  if (rule.authenticated === true) return () => true
  const tests: PrincipalTest[] = []
  if (rule.roles !== undefined && rule.roles.length > 0) {
    const has = anyOf(rule.roles)
    tests.push((p) => has(p.roles))
  }
  if (rule.scopes !== undefined && rule.scopes.length > 0) {
    const has = anyOf(rule.scopes)
    tests.push((p) => has(p.scopes))
  }
  if (rule.claims !== undefined) {
    const wanted = Object.entries(rule.claims)
    tests.push((p) => claimsMatch(wanted, p.claims))
  }
  if (tests.length === 0) return undefined
  if (tests.length === 1) return tests[0]
  const [a, b, c] = tests as [PrincipalTest, PrincipalTest, PrincipalTest | undefined]
  return c === undefined ? (p) => a(p) || b(p) : (p) => a(p) || b(p) || c(p)
}

// Whether a held list (the principal's roles or scopes) holds any wanted name.
function anyOf(wanted: readonly string[]): (held: readonly string[]) => boolean {
  if (wanted.length === 1) {
    const only = wanted[0] as string
    return (held) => held.includes(only)
  }
  const set = new Set(wanted)
  return (held) => {
    for (let i = 0; i < held.length; i++) if (set.has(held[i] as string)) return true
    return false
  }
}

function memberOf(names: readonly string[]): (name: string) => boolean {
  if (names.length === 1) {
    const only = names[0] as string
    return (name) => name === only
  }
  const set = new Set(names)
  return (name) => set.has(name)
}

function claimsMatch(
  wanted: readonly (readonly [string, unknown])[],
  claims: Readonly<Record<string, unknown>>,
): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const [name, expected] = wanted[i] as readonly [string, unknown]
    const actual = claims[name]
    const ok = Array.isArray(expected) ? expected.includes(actual) : actual === expected
    if (!ok) return false
  }
  return true
}
