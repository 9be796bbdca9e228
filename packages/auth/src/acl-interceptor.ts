import {
  PlexusError,
  type Context,
  type HandleFn,
  type HandlerInfo,
  type Interceptor,
  type MessageContext,
} from '@plexus/kernel'
import { principalIn, PRINCIPAL_KEY, type Principal } from './principal.js'
import { isInternal, ruleFor, type NamedRule, type Policies, type Verb } from './policy.js'
import { compileRule } from './rule-check.js'

const VERB_OF: Record<HandlerInfo['kind'], Verb> = {
  action: 'actions',
  event: 'events',
  stream: 'streams',
  channel: 'streams',
}

// Topics seen by one event handler, each resolved to its rule once; bounded, then recomputed.
const TOPIC_MEMO = 1024

/**
 * Enforces per-action policies where the handler runs (inline, worker and process alike: the
 * kernel compiles every handler it routes to, whatever runs it). Each handler's rule is found
 * once at compile time; a public rule compiles to the handler itself. Once any policy exists,
 * a handler with no rule is refused (`FORBIDDEN`, rule "no rule"), except internal (`$`/`_`)
 * handlers called by a service, which stay reachable for the kernel's own plumbing.
 */
export function aclInterceptor(policies: Policies): Interceptor {
  return {
    name: 'auth-acl',
    handle(next, info) {
      const verb = VERB_OF[info.kind]
      if (verb === 'events') return eventGuard(next, info, policies)
      const address = `${info.service}.${info.name}`
      return guard(next, verb, address, ruleFor(policies, verb, address))
    },
  }
}

function guard(
  next: HandleFn,
  verb: Verb,
  address: string,
  named: NamedRule | undefined,
): HandleFn {
  if (named === undefined) {
    if (isInternal(address)) {
      return (ctx, input) => {
        if (ctx.caller === undefined) throw forbidden(verb, address, 'no rule', ctx)
        return next(ctx, input)
      }
    }
    return (ctx) => {
      throw forbidden(verb, address, 'no rule', ctx)
    }
  }
  const { rule, name } = named
  if (rule.public === true) return next
  // Compiled once per handler: the per-message work is the rule's own conditions, nothing else.
  const check = compileRule(rule)
  return (ctx, input) => {
    const principal = principalOf(ctx)
    const decision = check(principal, ctx.caller)
    if (decision === 'allow') return next(ctx, input)
    throw decision === 'unauthorized'
      ? unauthorized(verb, address, name)
      : forbidden(verb, address, name, ctx, principal)
  }
}

function eventGuard(next: HandleFn, info: HandlerInfo, policies: Policies): HandleFn {
  const memo = new Map<string, HandleFn>()
  return (ctx, input) => {
    const topic = ctx.topic ?? info.name
    let step = memo.get(topic)
    if (step === undefined) {
      if (memo.size >= TOPIC_MEMO) memo.clear()
      step = guard(next, 'events', topic, ruleFor(policies, 'events', topic))
      memo.set(topic, step)
    }
    return step(ctx, input)
  }
}

// peekMeta reads the metadata without creating an empty object for calls that carry none.
function principalOf(ctx: Context): Principal | undefined {
  const message = ctx as Partial<MessageContext> & Context
  const meta = typeof message.peekMeta === 'function' ? message.peekMeta() : ctx.meta
  return meta === undefined || meta[PRINCIPAL_KEY] === undefined ? undefined : principalIn(meta)
}

function forbidden(
  verb: Verb,
  address: string,
  rule: string,
  ctx: Context,
  principal: Principal | undefined = principalOf(ctx),
): PlexusError {
  const who = principal?.sub ?? ctx.caller ?? 'an anonymous caller'
  return new PlexusError(
    'FORBIDDEN',
    `${verbText(verb)} '${address}' is not allowed for ${who} (${rule})`,
    {
      data: { rule, address, verb, sub: principal?.sub, caller: ctx.caller },
    },
  )
}

function unauthorized(verb: Verb, address: string, rule: string): PlexusError {
  return new PlexusError(
    'UNAUTHORIZED',
    `${verbText(verb)} '${address}' needs an authenticated caller`,
    {
      data: { reason: 'missing', rule, address, verb },
    },
  )
}

function verbText(verb: Verb): string {
  return verb === 'actions' ? 'Calling' : verb === 'events' ? 'Sending event' : 'Opening stream'
}
