/** In-process call without meta, with @plexus/auth installed (trust interceptor only) vs without. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { kernelWithAuth } from '../fixtures/plexus-auth.js'

export default defineScenario({
  kind: 'requests',
  name: 'call-trust',
  title: 'in-process call, @plexus/auth installed, no principal (trust interceptor only)',
  requests: 1_000_000,
  notes:
    "Both sides are Plexus, in one run: 'plexus' has `auth({})` (no rules, so only the trust interceptor that strips forged principals runs); 'floor' is the same kernel without @plexus/auth. The call carries no meta, the common case inside a kernel.",
  impls: {
    floor: async () => {
      const kernel = await kernelWithAuth(undefined)
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
    plexus: async () => {
      const kernel = await kernelWithAuth({})
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
