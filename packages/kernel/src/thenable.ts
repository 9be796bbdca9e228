/** True when `value` is a promise or another thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** Marks a promise's rejection as handled (its outcome no longer matters to anyone). */
export function ignore(value: PromiseLike<unknown>): void {
  value.then(undefined, () => {})
}
