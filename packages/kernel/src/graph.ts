import { PlexusError, type ErrorCode } from './errors.js'

/** How to word and code the two ways a dependency graph can be wrong. */
export interface GraphErrors {
  /** What the nodes are, for messages ('service', 'plug-in'). */
  readonly noun: string
  /** Code when a dependency is absent. */
  readonly missing: ErrorCode
  /** Code when dependencies form a cycle. */
  readonly cycle: ErrorCode
}

/**
 * Orders nodes so that every node comes after its dependencies (stable: ties keep insertion
 * order). A missing dependency or a cycle throws, naming the nodes involved.
 */
export function dependencyOrder(
  nodes: ReadonlyMap<string, readonly string[]>,
  errors: GraphErrors,
): string[] {
  for (const [name, deps] of nodes) {
    for (const dep of deps) {
      if (!nodes.has(dep)) {
        throw new PlexusError(
          errors.missing,
          `Cannot start ${errors.noun} '${name}': dependency '${dep}' is not registered`,
          { data: { [errors.noun]: name, dependency: dep } },
        )
      }
    }
  }
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const path: string[] = []
  const visit = (name: string): void => {
    const seen = state.get(name)
    if (seen === 'done') return
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name]
      throw new PlexusError(
        errors.cycle,
        `Dependency cycle between ${errors.noun}s: ${cycle.join(' -> ')}`,
        { data: { cycle } },
      )
    }
    state.set(name, 'visiting')
    path.push(name)
    for (const dep of nodes.get(name) ?? []) visit(dep)
    path.pop()
    state.set(name, 'done')
    order.push(name)
  }
  for (const name of nodes.keys()) visit(name)
  return order
}
