/** The size a scaled reliability test runs at: `small` in `npm test`, `full` in `npm run soak`. */
export type Scale = 'small' | 'full'

/** PLEXUS_SCALE=full (set by `npm run soak`) selects RELIABILITY.md's sizes; anything else, small. */
export function currentScale(): Scale {
  return process.env['PLEXUS_SCALE'] === 'full' ? 'full' : 'small'
}

/**
 * Picks a test's size for the current scale: the same test code runs in `npm test` at the small
 * size and in `npm run soak` at the size RELIABILITY.md states.
 *
 * @example
 * const rounds = scale({ small: 10, full: 100 }) // T3
 */
export function scale<T>(sizes: { readonly small: T; readonly full: T }): T {
  return sizes[currentScale()]
}

/** The prefix of a gate line on a test's output; scripts/soak.mjs collects these into its table. */
export const GATE_PREFIX = 'PLEXUS-GATE '

/**
 * Prints one line of a test's gate counts (e.g. `{ failed: 0, lost: 0 }`) with the scale it ran
 * at, for the soak table. Call it before the assertions, so a failing run still reports.
 */
export function reportGates(
  test: string,
  size: string,
  gates: Record<string, number | string>,
): void {
  console.log(GATE_PREFIX + JSON.stringify({ test, scale: currentScale(), size, gates }))
}
