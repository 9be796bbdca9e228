import { PlexusError, type EventSpec, type ServiceDefinition } from '@plexus/kernel'

/** The knobs of a durable subscription (`events: { t: { durable: { ... }, handler } }`). */
export type DurableEventOptions = Exclude<NonNullable<EventSpec['durable']>, boolean>

/** One durable subscription with every default filled in. */
export interface DurableSubscription {
  readonly service: string
  readonly pattern: string
  readonly broadcast: boolean
  readonly maxDeliveries: number
  readonly backoff: readonly number[]
  readonly ordered: boolean
  readonly ackWait: number
}

const DEFAULT_BACKOFF = [1000, 5000, 30_000]

/**
 * The durable subscriptions of `definitions` (the kernel shows plug-ins a subscription's pattern
 * but not its options, so the plug-in reads the definitions it is given). Bad knobs are
 * INVALID_CONFIG naming the service and the pattern.
 */
export function durableSubscriptions(
  definitions: readonly ServiceDefinition[],
): DurableSubscription[] {
  const out: DurableSubscription[] = []
  for (const definition of definitions) {
    for (const [pattern, entry] of Object.entries(definition.events ?? {})) {
      if (typeof entry !== 'object' || entry.durable === undefined || entry.durable === false)
        continue
      const knobs: DurableEventOptions = entry.durable === true ? {} : entry.durable
      const where = `${definition.name} '${pattern}'`
      out.push({
        service: definition.name,
        pattern,
        broadcast: entry.delivery === 'broadcast',
        maxDeliveries: count(where, 'maxDeliveries', knobs.maxDeliveries, 5),
        backoff: delays(where, knobs.backoff),
        ordered: knobs.ordered === true,
        ackWait: count(where, 'ackWait', knobs.ackWait, 30_000),
      })
    }
  }
  return out
}

/** The delay before attempt `delivery + 1` after attempt `delivery` failed. */
export function retryDelay(subscription: DurableSubscription, delivery: number): number {
  const { backoff } = subscription
  return backoff[Math.min(delivery - 1, backoff.length - 1)] ?? 0
}

function count(where: string, key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw invalid(where, key, 'a positive integer', value)
  return value
}

function delays(where: string, value: readonly number[] | undefined): readonly number[] {
  if (value === undefined) return DEFAULT_BACKOFF
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => Number.isFinite(v) && v >= 0)
  )
    throw invalid(where, 'backoff', 'a non-empty list of delays in ms', value)
  return [...value]
}

function invalid(where: string, key: string, expected: string, seen: unknown): PlexusError {
  return new PlexusError(
    'INVALID_CONFIG',
    `durable subscription ${where}: ${key}: expected ${expected}, got ${JSON.stringify(seen)}`,
    { data: { key, expected } },
  )
}
