import { PlexusError } from '@plexus/kernel'
import type { Principal } from './principal.js'

/** Who may: any one matching condition allows (roles, scopes, claims, calling services). */
export interface Rule {
  /** Anyone, authenticated or not. */
  readonly public?: boolean
  /** Any authenticated principal. */
  readonly authenticated?: boolean
  /** A principal holding one of these roles. */
  readonly roles?: readonly string[]
  /** A principal holding one of these scopes. */
  readonly scopes?: readonly string[]
  /** A principal whose claims equal these values (every listed claim; a list means one of). */
  readonly claims?: Readonly<
    Record<string, string | number | boolean | readonly (string | number | boolean)[]>
  >
  /** A calling service (by name; `ctx.caller`). */
  readonly callers?: readonly string[]
}

/** Policies by verb; keys are addresses (`orders.create`) or topics, `*` matching any run of characters. */
export interface Policies {
  /** Who may call which actions (`service.action`). */
  readonly actions?: Readonly<Record<string, Rule>>
  /** Who may send which events (by topic; the emitting service is the caller). */
  readonly events?: Readonly<Record<string, Rule>>
  /** Who may open which streams and channels (`service.stream`). */
  readonly streams?: Readonly<Record<string, Rule>>
}

/** A verb a policy governs. */
export type Verb = keyof Policies

/** What a rule answers for one message. */
export type Decision = 'allow' | 'unauthorized' | 'forbidden'

/** A rule with the key it was written under. */
export interface NamedRule {
  /** `<verb>:<pattern>`, as named in FORBIDDEN's data. */
  readonly name: string
  readonly rule: Rule
}

const VERBS: readonly Verb[] = ['actions', 'events', 'streams']

/** Whether a name is internal (`$…` / `_…` in its last part): never matched by a wildcard. */
export function isInternal(address: string): boolean {
  const last = address.slice(address.lastIndexOf('.') + 1)
  return last.startsWith('$') || last.startsWith('_')
}

/**
 * The rule for an address: an exact key first, else the matching pattern with the most literal
 * characters (ties: the one written first). Wildcards never match internal names.
 */
export function ruleFor(policies: Policies, verb: Verb, address: string): NamedRule | undefined {
  const table = policies[verb]
  if (table === undefined) return undefined
  const exact = table[address]
  if (exact !== undefined) return { name: `${verb}:${address}`, rule: exact }
  if (isInternal(address)) return undefined
  let best: NamedRule | undefined
  let bestLength = -1
  for (const [pattern, rule] of Object.entries(table)) {
    if (!pattern.includes('*') || !globMatches(pattern, address)) continue
    const literal = pattern.replaceAll('*', '').length
    if (literal > bestLength) {
      best = { name: `${verb}:${pattern}`, rule }
      bestLength = literal
    }
  }
  return best
}

/** What a rule decides for a principal (or none) and a calling service (or none). */
export function decide(
  rule: Rule,
  principal: Principal | undefined,
  caller: string | undefined,
): Decision {
  if (rule.public === true) return 'allow'
  if (caller !== undefined && rule.callers?.includes(caller) === true) return 'allow'
  const needsPrincipal =
    rule.authenticated === true ||
    rule.roles !== undefined ||
    rule.scopes !== undefined ||
    rule.claims !== undefined
  if (principal === undefined) return needsPrincipal ? 'unauthorized' : 'forbidden'
  if (rule.authenticated === true) return 'allow'
  if (rule.roles !== undefined && overlaps(rule.roles, principal.roles)) return 'allow'
  if (rule.scopes !== undefined && overlaps(rule.scopes, principal.scopes)) return 'allow'
  if (rule.claims !== undefined && claimsMatch(rule.claims, principal.claims)) return 'allow'
  return 'forbidden'
}

/** Rejects a malformed policy table with INVALID_CONFIG naming the key. */
export function assertPolicies(value: unknown): asserts value is Policies {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'auth.policies must be an object of actions/events/streams',
    )
  }
  for (const [verb, table] of Object.entries(value)) {
    if (!(VERBS as readonly string[]).includes(verb)) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `auth.policies.${verb}: expected one of ${VERBS.join(', ')}`,
      )
    }
    if (table === null || typeof table !== 'object') {
      throw new PlexusError('INVALID_CONFIG', `auth.policies.${verb} must be an object of rules`)
    }
    for (const [pattern, rule] of Object.entries(table as object)) {
      if (rule === null || typeof rule !== 'object') {
        throw new PlexusError(
          'INVALID_CONFIG',
          `auth.policies.${verb}['${pattern}'] must be a rule object`,
        )
      }
      for (const list of ['roles', 'scopes', 'callers'] as const) {
        const v = (rule as Record<string, unknown>)[list]
        if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) {
          throw new PlexusError(
            'INVALID_CONFIG',
            `auth.policies.${verb}['${pattern}'].${list} must be a list of names`,
          )
        }
      }
    }
  }
}

// A plain loop: no closure allocated per message on the hot path.
function overlaps(wanted: readonly string[], held: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (held.includes(wanted[i] as string)) return true
  return false
}

function claimsMatch(
  wanted: NonNullable<Rule['claims']>,
  claims: Readonly<Record<string, unknown>>,
): boolean {
  for (const [name, expected] of Object.entries(wanted)) {
    const actual = claims[name]
    const ok = Array.isArray(expected) ? expected.includes(actual) : actual === expected
    if (!ok) return false
  }
  return true
}

function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*')
  if (!value.startsWith(parts[0] as string)) return false
  let at = (parts[0] as string).length
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i] as string, at)
    if (found < 0) return false
    at = found + (parts[i] as string).length
  }
  const last = parts[parts.length - 1] as string
  return value.length - at >= last.length && value.endsWith(last)
}
