import { definePlugin, type Kernel, type Plugin } from '@plexus/kernel'
import { circuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js'
import { retry, type RetryOptions } from './retry.js'

/** Settings of the resilience plug-in; `false` leaves a part out. */
export interface ResilienceOptions {
  /** Retry settings (default on). */
  retry?: RetryOptions | false
  /** Circuit breaker settings (default on). */
  circuitBreaker?: CircuitBreakerOptions | false
}

/**
 * The resilience plug-in: adds the retry interceptor outside the circuit breaker, so a retry
 * never hammers an open circuit. Use `ejectOutliers()` as a service's balancer for per-instance
 * ejection.
 */
export function resilience(options: ResilienceOptions = {}): Plugin<Kernel<any>> {
  return definePlugin<Kernel<any>>({
    name: 'resilience',
    setup(kernel) {
      if (options.retry !== false) kernel.intercept(retry(kernel, options.retry ?? {}))
      if (options.circuitBreaker !== false) {
        kernel.intercept(circuitBreaker(kernel, options.circuitBreaker ?? {}))
      }
    },
  })
}
