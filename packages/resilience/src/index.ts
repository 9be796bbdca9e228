/**
 * @plexus/resilience — retries under a budget, circuit breakers and outlier ejection, written as
 * ordinary kernel interceptors and balancers.
 *
 * @example
 * const kernel = createKernel({ plugins: [resilience({ retry: { retries: 2 } })] })
 * kernel.add(orders, { instances: 3, balancer: ejectOutliers() })
 */

/** The plug-in that installs retry and circuit breaker. */
export { resilience, type ResilienceOptions } from './resilience-plugin.js'
/** The retry interceptor (budgeted, deadline-bound, idempotency-aware). */
export { retry, type RetryOptions } from './retry.js'
/** The retry budget (ratio of requests plus a floor per second). */
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js'
/** The circuit breaker interceptor (per service). */
export { circuitBreaker, isFault, type CircuitBreakerOptions } from './circuit-breaker.js'
/** The outlier-ejecting balancer (per instance). */
export { ejectOutliers, type OutlierOptions } from './outlier-ejection.js'
