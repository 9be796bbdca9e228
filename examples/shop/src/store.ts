// Typed helpers over the kv service's actions: every task service persists through these calls.
import type { Context } from '@plexus/kernel'

/** An entry with its revision, as `kv.getEntry` answers it. */
export interface Entry<T> {
  key: string
  value: T
  revision: number
}

/** Reads a key (null when absent). */
export const get = <T>(ctx: Context, key: string) => ctx.call<T | null>('kv.get', { key })
/** Reads a key with its revision (null when absent), for a later compare-and-set. */
export const getEntry = <T>(ctx: Context, key: string) =>
  ctx.call<Entry<T> | null>('kv.getEntry', { key })
/** Writes a key. */
export const set = <T>(ctx: Context, key: string, value: T) => ctx.call<T>('kv.set', { key, value })
/**
 * Writes a key only if its revision is still `ifRevision` (0: only if absent); a stale write is
 * refused with a revision conflict (`isRevisionConflict` from @plexus/kv).
 */
export const cas = <T>(ctx: Context, key: string, value: T, ifRevision: number) =>
  ctx.call<Entry<T>>('kv.cas', { key, value, ifRevision })
/** Adds `by` to a number atomically and answers the new value. */
export const incr = (ctx: Context, key: string, by = 1) => ctx.call<number>('kv.incr', { key, by })
/** Deletes a key (only at revision `ifRevision` when given). */
export const del = (ctx: Context, key: string, ifRevision?: number) =>
  ctx.call<boolean>('kv.delete', ifRevision === undefined ? { key } : { key, ifRevision })
/** Entries under a prefix, in key order. */
export const list = <T>(ctx: Context, prefix: string) =>
  ctx.call<{ key: string; value: T }[]>('kv.list', { prefix })
