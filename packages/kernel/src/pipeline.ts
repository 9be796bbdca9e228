import type { Compile } from './handler-table.js'
import {
  assertInterceptor,
  type HandleFn,
  type HandlerInfo,
  type Interceptor,
} from './interceptor.js'

/**
 * The kernel's interceptors in order (the first added runs outermost): composes the outbound
 * paths once per change and wraps each handler once when it is compiled — never per message.
 */
export class InterceptorPipeline {
  readonly #interceptors: Interceptor[] = []

  /** Adds an interceptor after checking it names only hooks of the closed set. */
  add(interceptor: Interceptor): void {
    assertInterceptor(interceptor)
    this.#interceptors.push(interceptor)
  }

  /** Wraps one handler with every `handle` hook. */
  readonly compile: Compile = (handler: HandleFn, info: HandlerInfo): HandleFn => {
    let step = handler
    for (let i = this.#interceptors.length - 1; i >= 0; i--) {
      const interceptor = this.#interceptors[i]!
      if (interceptor.handle !== undefined) step = interceptor.handle(step, info)
    }
    return step
  }

  /** Wraps an outbound path (`call`, `emit` or `stream`) with every hook of that name. */
  compose<F>(hook: 'call' | 'emit' | 'stream', core: F): F {
    let step = core
    for (let i = this.#interceptors.length - 1; i >= 0; i--) {
      const interceptor = this.#interceptors[i]!
      // eslint-disable-next-line @typescript-eslint/unbound-method -- invoked with .call(interceptor)
      const wrap = interceptor[hook] as ((next: F) => F) | undefined
      if (wrap !== undefined) step = wrap.call(interceptor, step)
    }
    return step
  }
}
