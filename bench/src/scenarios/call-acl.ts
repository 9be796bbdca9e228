/** In-process call carrying a verified principal, with a roles rule on the handler vs no auth. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { kernelWithAuth, principalMeta } from '../fixtures/plexus-auth.js'

const POLICIES = { actions: { 'math.add': { roles: ['customer'] } } }

export default defineScenario({
  kind: 'requests',
  name: 'call-acl',
  title: 'in-process call with a principal, roles rule checked (ACL)',
  requests: 1_000_000,
  notes:
    "Every side is Plexus, in one run, and sends the same meta (a principal a real verifier minted from a real token). 'plexus' has `auth({ policies: { actions: { 'math.add': { roles: ['customer'] } } } })`: the trust interceptor on the call, the rule on the handler. 'floor' is `auth({})`: the trust interceptor only, so plexus − floor is what the ACL check costs per call (target ≤ 30 ns). 'floor-no-auth' is the same kernel without @plexus/auth, so plexus − floor-no-auth is all of auth on a call that carries a principal (reported).",
  impls: {
    'floor-no-auth': async () => {
      const kernel = await kernelWithAuth(undefined)
      const options = { meta: await principalMeta() }
      return { op: () => kernel.call('math.add', ADD_PAYLOAD, options), close: () => kernel.stop() }
    },
    floor: async () => {
      const kernel = await kernelWithAuth({})
      const options = { meta: await principalMeta() }
      return { op: () => kernel.call('math.add', ADD_PAYLOAD, options), close: () => kernel.stop() }
    },
    plexus: async () => {
      const kernel = await kernelWithAuth(POLICIES)
      const options = { meta: await principalMeta() }
      return { op: () => kernel.call('math.add', ADD_PAYLOAD, options), close: () => kernel.stop() }
    },
  },
})
