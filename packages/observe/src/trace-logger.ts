import type { LogFields, Logger } from '@plexus/kernel'

const SCOPE = Symbol('plexus.traceScope')

/** Which span the handler being entered runs in (set by the tracing interceptor, briefly). */
export interface SpanScope {
  current: { trace_id: string; span_id: string } | undefined
}

/**
 * A logger whose children made inside a traced handler carry `trace_id` and `span_id`: give it
 * to `createKernel({ logger: tracedLogger(pino()) })` and add the tracing plug-in. The kernel
 * makes `ctx.logger` as a child of its logger the first time a handler reads it; the tracing
 * interceptor reads it once as it enters each handler, with the handler's span in scope, so
 * every line the handler writes through `ctx.logger` names its span. Without tracing it is the
 * logger it wraps, plus one object per child.
 */
export function tracedLogger(base: Logger): Logger {
  return wrap(base, { current: undefined }, false)
}

/** The scope of a logger made by `tracedLogger`, if it is one (the tracing plug-in looks). */
export function spanScopeOf(logger: Logger): SpanScope | undefined {
  return (logger as { [SCOPE]?: SpanScope })[SCOPE]
}

function wrap(base: Logger, scope: SpanScope, traced: boolean): Logger {
  return {
    [SCOPE]: scope,
    debug: (fields: LogFields, message: string) => base.debug(fields, message),
    info: (fields: LogFields, message: string) => base.info(fields, message),
    warn: (fields: LogFields, message: string) => base.warn(fields, message),
    error: (fields: LogFields, message: string) => base.error(fields, message),
    child(bindings: LogFields): Logger {
      // A child of a traced child already has the fields (pino would print them twice).
      const span = traced ? undefined : scope.current
      return span === undefined
        ? wrap(base.child(bindings), scope, traced)
        : wrap(base.child({ ...bindings, ...span }), scope, true)
    },
  } as Logger
}
