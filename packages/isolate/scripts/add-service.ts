import { defineService } from '@plexus/kernel'

/** The benchmark service: the same `add` as BENCHMARKS.md's floors. */
export default defineService({
  name: 'math',
  actions: { add: (_ctx, { a, b }: { a: number; b: number }) => a + b },
})
