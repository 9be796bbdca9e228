import { InstanceStats, PlexusError, type Instance, type PlacementRequest } from '@plexus/kernel'

/**
 * A placement for tests: instance number `n` (1-based, in start order) answers through
 * `behaviour(n, action)` — a value, or a thrown error — and keeps its stats like a real link.
 */
export function scriptedPlacement(behaviour: (n: number, action: string) => unknown) {
  let started = 0
  const handled: number[] = []
  const placement = (request: PlacementRequest): Instance => {
    let n = 0
    const stats = new InstanceStats()
    const instance: Instance = {
      id: request.id,
      placement: 'scripted',
      stats,
      state: 'idle',
      invoke: async (action) => {
        stats.inFlight++
        handled[n] = (handled[n] ?? 0) + 1
        try {
          const value = behaviour(n, action)
          stats.inFlight--
          stats.count++
          stats.consecutiveErrors = 0
          return value
        } catch (error) {
          stats.inFlight--
          stats.count++
          stats.recordError(error instanceof PlexusError ? error.code : 'HANDLER')
          throw error
        }
      },
      deliver: () => {},
      compile: () => {},
      open: () => {
        throw new PlexusError('NOT_FOUND', 'no streams here')
      },
      start: async () => {
        n = ++started
        instance.state = 'running'
      },
      stop: async () => {
        instance.state = 'stopped'
      },
    }
    return instance
  }
  return { placement, handled }
}
