import {
  PlexusError,
  type CallFn,
  type CallOptions,
  type MessageContext,
  type Interceptor,
  type Kernel,
} from '@plexus/kernel'
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js'

/** Retry settings. */
export interface RetryOptions {
  /** Retries after the first attempt (default 2). */
  retries?: number
  /** First backoff in ms, doubled each retry, with full jitter (default 10). */
  backoff?: number
  /** Longest backoff in ms (default 1000). */
  maxBackoff?: number
  /** The budget shared by every call through this interceptor. */
  budget?: RetryBudgetOptions
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Retries retryable failures on the outbound call path, within the caller's deadline and a
 * shared retry budget. An action not declared `idempotent` is retried only when the error proves
 * the handler never ran (OVERLOADED: refused by a full mailbox); CIRCUIT_OPEN is never retried.
 */
export function retry(kernel: Kernel<any>, options: RetryOptions = {}): Interceptor {
  const retries = options.retries ?? 2
  const base = options.backoff ?? 10
  const cap = options.maxBackoff ?? 1000
  const budget = new RetryBudget(options.budget)
  const defaultBudget = kernel.config.deadline

  const again = async (
    next: CallFn,
    address: string,
    input: unknown,
    options: CallOptions | undefined,
    caller: MessageContext | undefined,
    deadline: number,
    first: unknown,
  ): Promise<unknown> => {
    let error = first
    for (let attempt = 1; attempt <= retries; attempt++) {
      if (!(error instanceof PlexusError) || !error.retryable || error.code === 'CIRCUIT_OPEN')
        break
      if (error.code !== 'OVERLOADED' && kernel.describe(address)?.idempotent !== true) break
      const now = kernel.now()
      const pause = Math.random() * Math.min(cap, base * 2 ** (attempt - 1))
      const left = deadline - now - pause
      if (left < 1 || !budget.tryRetry(now)) break
      await sleep(pause)
      try {
        return await next(address, input, { ...options, deadline: left }, caller)
      } catch (retryError) {
        error = retryError
      }
    }
    throw error
  }

  return {
    name: 'retry',
    call: (next) => (address, input, callOptions, caller) => {
      budget.request()
      // The whole call, retries included, keeps the caller's deadline.
      let deadline =
        callOptions?.deadline !== undefined
          ? kernel.now() + callOptions.deadline
          : caller !== undefined
            ? caller.deadline
            : kernel.now() + defaultBudget
      if (caller !== undefined && caller.deadline < deadline) deadline = caller.deadline
      return next(address, input, callOptions, caller).then(undefined, (error: unknown) =>
        again(next, address, input, callOptions, caller, deadline, error),
      )
    },
  }
}
