// Typed helpers over the kv service's actions: every task service persists through these calls.
import type { Context } from '@plexus/kernel'

/** Reads a key (null when absent). */
export const get = <T>(ctx: Context, key: string) => ctx.call<T | null>('kv.get', { key })
/** Writes a key. */
export const set = <T>(ctx: Context, key: string, value: T) => ctx.call<T>('kv.set', { key, value })
/** Adds `by` to a number atomically and answers the new value. */
export const incr = (ctx: Context, key: string, by = 1) => ctx.call<number>('kv.incr', { key, by })
/** Deletes a key. */
export const del = (ctx: Context, key: string) => ctx.call<boolean>('kv.delete', { key })
/** Entries under a prefix, in key order. */
export const list = <T>(ctx: Context, prefix: string) =>
  ctx.call<{ key: string; value: T }[]>('kv.list', { prefix })
