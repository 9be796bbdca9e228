import type { CallContext } from './call-context.js'
import type { DeadlineWheel } from './deadline-wheel.js'
import type { Interceptor } from './interceptor.js'
import { isThenable } from './thenable.js'

/**
 * The built-in deadline step: a handler that answers synchronously passes straight through; one
 * that answers with a promise is raced against its deadline on the kernel's single wheel, and
 * its `ctx.signal` aborts when the deadline passes. Either way the context is released once the
 * handler has answered.
 */
export function deadlineInterceptor(wheel: DeadlineWheel): Interceptor {
  return {
    name: 'deadline',
    handle(next, info) {
      if (info.kind === 'stream' || info.kind === 'channel') return next
      return (ctx, input) => {
        let result
        try {
          result = next(ctx, input)
        } catch (error) {
          ;(ctx as CallContext).release()
          throw error
        }
        if (isThenable(result)) return wheel.track(ctx as CallContext, result, true)
        ;(ctx as CallContext).release()
        return result
      }
    },
  }
}
