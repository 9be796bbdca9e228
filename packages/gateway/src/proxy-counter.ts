/** Requests the strangler façade sent to the legacy upstream, counted per `METHOD /path`. */
export class ProxyCounter {
  readonly #counts = new Map<string, number>()
  readonly #maxRoutes: number
  #total = 0

  /** `maxRoutes` bounds the map: paths with ids in them must not grow it without end. */
  constructor(maxRoutes = 1000) {
    this.#maxRoutes = maxRoutes
  }

  /** Counts one proxied request. */
  record(method: string, path: string): void {
    this.#total++
    let key = `${method} ${path}`
    if (!this.#counts.has(key) && this.#counts.size >= this.#maxRoutes) key = '(other routes)'
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
  }

  /** Total requests proxied. */
  get total(): number {
    return this.#total
  }

  /** Counts per route, busiest first. */
  snapshot(): Record<string, number> {
    const sorted = [...this.#counts.entries()].sort((a, b) => b[1] - a[1])
    return Object.fromEntries(sorted)
  }
}
