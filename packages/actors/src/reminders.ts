import { PlexusError, type Context, type Logger } from '@plexus/kernel'
import { isRevisionConflict } from '@plexus/kv'
import type { Schedule } from './actor-types.js'

/** A reminder as stored in the kv service. */
export interface ReminderRecord {
  /** Actor type. */
  actor: string
  /** Actor key. */
  key: string
  /** Reminder name (a handler in the actor's `reminders`). */
  name: string
  /** Next firing, epoch ms. */
  due: number
  /** Period in ms, for a repeating reminder. */
  every?: number
  /** What the handler receives. */
  payload?: unknown
}

/** A one-shot reminder whose turn failed fires again this long after (at least once). */
const RETRY_AFTER = 5_000

const prefixOf = (type: string) => `actor-reminder/${type}/`
const keyOf = (type: string, key: string, name: string) =>
  `${prefixOf(type)}${encodeURIComponent(key)}/${name}`

/** Checks a schedule and answers its first due time. */
export function firstDue(schedule: Schedule, now: number, what: string): number {
  const bad = (field: string, value: unknown): never => {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${what}: '${field}' must be a non-negative number of ms, got ${JSON.stringify(value)}`,
      { data: { field, value } },
    )
  }
  for (const field of ['in', 'at', 'every'] as const) {
    const value = schedule[field]
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) bad(field, value)
  }
  if (schedule.every !== undefined && schedule.every < 1) bad('every', schedule.every)
  return schedule.at ?? now + (schedule.in ?? 0)
}

/** Writes (or replaces) a reminder in the store. */
export async function setReminder(
  ctx: Pick<Context, 'call'>,
  store: string,
  record: ReminderRecord,
): Promise<void> {
  await ctx.call(`${store}.set`, {
    key: keyOf(record.actor, record.key, record.name),
    value: record,
  })
}

/** Removes a reminder; false when there was none. */
export async function forgetReminder(
  ctx: Pick<Context, 'call'>,
  store: string,
  type: string,
  key: string,
  name: string,
): Promise<boolean> {
  return ctx.call<boolean>(`${store}.delete`, { key: keyOf(type, key, name) })
}

/**
 * Fires every reminder of actor type `type` that is due. Each is claimed first by a
 * compare-and-set that moves its due time on, so kernels sharing a store fire it once; a
 * one-shot reminder is removed only after its turn succeeded (at least once), a repeating one
 * skips a firing whose turn failed.
 */
export async function fireDueReminders(
  ctx: Pick<Context, 'call'>,
  store: string,
  type: string,
  now: number,
  fire: (record: ReminderRecord) => Promise<unknown>,
  logger: Logger,
): Promise<void> {
  const listed = await ctx.call<{ key: string; value: ReminderRecord }[]>(`${store}.list`, {
    prefix: prefixOf(type),
  })
  for (const { key: kvKey, value } of listed) {
    if (!(value.due <= now)) continue
    const entry = await ctx.call<{ value: ReminderRecord; revision: number } | null>(
      `${store}.getEntry`,
      { key: kvKey },
    )
    if (entry === null || !(entry.value.due <= now)) continue
    const record = entry.value
    const next =
      record.every === undefined
        ? now + RETRY_AFTER
        : record.due + Math.ceil((now - record.due + 1) / record.every) * record.every
    let claimed: number
    try {
      const written = await ctx.call<{ revision: number }>(`${store}.cas`, {
        key: kvKey,
        value: { ...record, due: next },
        ifRevision: entry.revision,
      })
      claimed = written.revision
    } catch (error) {
      if (isRevisionConflict(error)) continue // another kernel claimed it
      throw error
    }
    try {
      await fire(record)
    } catch (error) {
      logger.warn(
        { err: error, actor: type, key: record.key, reminder: record.name },
        'Reminder turn failed',
      )
      continue
    }
    if (record.every === undefined) {
      // Removed only if the turn did not set it again.
      await ctx
        .call(`${store}.delete`, { key: kvKey, ifRevision: claimed })
        .catch((error: unknown) => {
          if (!isRevisionConflict(error)) throw error
        })
    }
  }
}
