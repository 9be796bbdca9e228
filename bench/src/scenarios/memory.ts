/** Memory after warm-up and GC: a bare process, a broker with one service, a kernel with one. */
import { defineScenario } from '../scenario.js'
import call from './call.js'

export default defineScenario({
  kind: 'memory',
  name: 'memory',
  title: 'memory, 1 service, after 10k calls and GC',
  warmup: 10_000,
  notes:
    'The floor is the same harness process calling a bare function. Every process runs the harness through tsx, which costs all sides the same; the Plexus kernel is loaded from its TypeScript source, so its figure includes a little transpiler output and source map.',
  impls: call.impls,
})
