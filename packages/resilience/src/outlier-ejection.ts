import { roundRobin, type Balanceable, type BalancerFactory } from '@plexus/kernel'

/** Outlier ejection settings. */
export interface OutlierOptions {
  /** Faults in a row that eject an instance (default 5, as Envoy). */
  consecutiveErrors?: number
  /** First ejection time in ms, doubled for each repeat ejection up to 5 minutes (default 10 000). */
  ejectionTime?: number
  /** Largest fraction of instances ejected at once (default 1/3, rounded up). */
  maxEjectedRatio?: number
  /** The strategy that picks among the instances not ejected (default round-robin). */
  base?: BalancerFactory
}

interface Ejection {
  until: number
  times: number
  faultsAtEjection: number
  /** When its one probe was sent, once the ejection time passed (undefined: not yet). */
  probeAt: number | undefined
}

/**
 * A balancer that ejects outliers, as Envoy does: an instance with `consecutiveErrors` faults in
 * a row gets no traffic for the ejection time (never more than a third of the instances at
 * once); when that passes it is on probation — one probe call, at most one per ejection time,
 * until one answers: a success lets it back fully, a fault ejects it again for twice as long.
 * Picking costs nothing extra while every instance is healthy.
 */
export function ejectOutliers(options: OutlierOptions = {}): BalancerFactory {
  const threshold = options.consecutiveErrors ?? 5
  const baseTime = options.ejectionTime ?? 10_000
  const maxRatio = options.maxEjectedRatio ?? 1 / 3
  const makeBase = options.base ?? roundRobin
  return () => {
    const base = makeBase()
    const ejections = new Map<Balanceable, Ejection>()
    let ejectedNow = 0
    return {
      pick(instances, input, meta) {
        let suspect = ejectedNow > 0
        if (!suspect)
          for (const i of instances) if (i.stats.consecutiveErrors >= threshold) suspect = true
        if (!suspect) return base.pick(instances, input, meta)
        const now = performance.now()
        const limit = Math.ceil(instances.length * maxRatio)
        let count = 0
        for (const instance of instances) if ((ejections.get(instance)?.until ?? 0) > now) count++
        for (const instance of instances) {
          const ejection = ejections.get(instance)
          const faults = instance.stats.consecutiveErrors
          if (ejection !== undefined && ejection.until > now) continue
          const again = ejection !== undefined && faults > ejection.faultsAtEjection
          const fresh = ejection === undefined && faults >= threshold
          if ((again || fresh) && count < limit) {
            const times = (ejection?.times ?? 0) + 1
            ejections.set(instance, {
              until: now + Math.min(300_000, baseTime * 2 ** (times - 1)),
              times,
              faultsAtEjection: faults,
              probeAt: undefined,
            })
            count++
          } else if (ejection !== undefined && faults < ejection.faultsAtEjection) {
            // It answered well since it came back: forget its record.
            ejections.delete(instance)
          }
        }
        ejectedNow = count
        const healthy = instances.filter((i) => {
          const ejection = ejections.get(i)
          if (ejection === undefined) return true
          if (ejection.until > now) return false
          // On probation: a candidate only while no probe is out (or its answer is overdue).
          return ejection.probeAt === undefined || now - ejection.probeAt >= baseTime
        })
        const chosen = base.pick(healthy.length > 0 ? healthy : instances, input, meta)
        const probation = ejections.get(chosen)
        if (probation !== undefined && probation.until <= now) probation.probeAt = now
        return chosen
      },
    }
  }
}
