import type { CancelSource } from '@plexus/kernel'

/**
 * Cancels when either source does (the caller's own source, or the served call's signal), with
 * the first one's reason. Listeners are added to and removed from both, so a long-lived source
 * keeps none once a call's session has let go; a listener may run once per source.
 */
export class EitherCancel implements CancelSource {
  readonly #a: CancelSource
  readonly #b: CancelSource

  constructor(a: CancelSource, b: CancelSource) {
    this.#a = a
    this.#b = b
  }

  get aborted(): boolean {
    return this.#a.aborted || this.#b.aborted
  }

  get reason(): unknown {
    return this.#a.aborted ? this.#a.reason : this.#b.reason
  }

  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void {
    this.#a.addEventListener(type, listener, options)
    this.#b.addEventListener(type, listener, options)
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    this.#a.removeEventListener(type, listener)
    this.#b.removeEventListener(type, listener)
  }
}
