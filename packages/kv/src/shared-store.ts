/**
 * The shared-store contract: what the kv service needs from a store that several kernels may
 * write at once (Redis, NATS KV). Every entry carries a revision, so a writer can say "only if
 * nobody wrote since I read" (compare-and-set) instead of trusting its own copy.
 */

/** One stored entry with the revision of its last write. */
export interface StoreEntry {
  /** The key as the caller spelled it. */
  key: string
  /** The JSON value. */
  value: unknown
  /** Grows with every write to the store; never 0 for a stored entry. */
  revision: number
}

/** Options of `set` and `delete`. */
export interface WriteOptions {
  /**
   * Compare-and-set: write only if the entry's current revision is this one (`0` = only if
   * absent); otherwise the write is refused with a revision conflict (`isRevisionConflict`).
   */
  ifRevision?: number
  /** Time to live in milliseconds (`set` only); stores that cannot honour it refuse it. */
  ttl?: number
}

/** A change seen by a watch: `value` is undefined when the key was deleted. */
export interface StoreChange {
  /** The key changed. */
  key: string
  /** The new value, or undefined for a delete. */
  value?: unknown
  /** The revision of this change. */
  revision: number
  /** What happened. */
  op: 'set' | 'delete'
}

/** A running watch; `stop()` ends it. */
export interface StoreWatch {
  /** Stops delivering changes and releases what the watch holds. */
  stop(): Promise<void>
}

/**
 * A key-value store with revisions. Writes are atomic per key; `list` and `watch` select keys by
 * prefix. A store that is down answers `UNAVAILABLE` (retryable) promptly, never hangs.
 */
export interface SharedStore {
  /** A short name for logs and status (`memory`, `file`, `redis`, `nats`). */
  readonly kind: string
  /** True when several kernels may use the same storage at once. */
  readonly shared: boolean
  /** Connects or loads; called when the kv service starts. */
  open(): Promise<void>
  /** The entry with its revision, or null when absent. */
  get(key: string): Promise<StoreEntry | null>
  /** Optional: the value alone, or null when absent (a read that needs no revision, no entry built). */
  value?(key: string): Promise<unknown>
  /** Writes a value and answers the new revision. */
  set(key: string, value: unknown, options?: WriteOptions): Promise<number>
  /** Deletes a key; answers whether it existed. */
  delete(key: string, options?: WriteOptions): Promise<boolean>
  /** Entries whose key starts with `prefix`, in key order, at most `limit`. */
  list(prefix: string, limit?: number): Promise<StoreEntry[]>
  /** Calls `onChange` for every later write under `prefix` (from any kernel sharing the store). */
  watch(prefix: string, onChange: (change: StoreChange) => void): Promise<StoreWatch>
  /** Disconnects or flushes. */
  close(): Promise<void>
}
