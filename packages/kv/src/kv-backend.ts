/**
 * Where the kv service keeps its entries. The service holds the live map and is the only writer,
 * so a backend only has to hand back what it stored and persist changes in the order given.
 */
export interface KvBackend {
  /** A short name for logs and status (`memory`, `file`). */
  readonly kind: string
  /** Every stored entry; called once when the kv service starts. */
  load(): Promise<Iterable<readonly [string, unknown]>>
  /** Persists one change, in call order; `undefined` deletes the key. */
  write(key: string, value: unknown): Promise<void>
  /** Flushes and releases what the backend holds open. */
  close(): Promise<void>
}
