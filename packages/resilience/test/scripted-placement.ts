import {
  PlexusError,
  type InstanceLink,
  type InstanceState,
  type PlacementRequest,
} from '@plexus/kernel'

/**
 * A placement for tests: instance number `n` (1-based, in start order) answers through
 * `behaviour(n, action)` — a value, or a thrown error. The kernel keeps its figures, as for any
 * link.
 */
export function scriptedPlacement(behaviour: (n: number, action: string) => unknown) {
  let started = 0
  const handled: number[] = []
  const placement = (request: PlacementRequest): InstanceLink => {
    let n = 0
    let state: InstanceState = 'idle'
    return {
      id: request.id,
      node: request.node,
      placement: 'scripted',
      get state() {
        return state
      },
      invoke: async (action) => {
        handled[n] = (handled[n] ?? 0) + 1
        return behaviour(n, action)
      },
      deliver: () => {},
      open: () => {
        throw new PlexusError('NOT_FOUND', 'no streams here')
      },
      start: async () => {
        n = ++started
        state = 'running'
      },
      stop: async () => {
        state = 'stopped'
      },
    }
  }
  return { placement, handled }
}
