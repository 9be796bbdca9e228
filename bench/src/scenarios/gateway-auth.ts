/** A gateway call with a verified (cached) bearer token against the same gateway without auth. */
import { defineScenario } from '../scenario.js'
import type { LoadTarget } from '../scenario.js'
import { plexusGateway } from '../fixtures/http-servers.js'
import { loadOver } from '../fixtures/http-load.js'

/**
 * The gateway with or without auth, driven with the same bearer header either way. A refused
 * request answers faster than a served one: any error fails the run instead of passing as a win.
 */
async function gatewayTarget(withAuth: boolean): Promise<LoadTarget> {
  const server = await plexusGateway(withAuth)
  const target = await loadOver(server, 'http', server.authorization)
  return {
    ...target,
    load: async (concurrency, counts) => {
      const measured = await target.load(concurrency, counts)
      if (measured.errors) throw new Error(`gateway-auth: ${measured.errors} requests failed`)
      return measured
    },
  }
}

export default defineScenario({
  kind: 'requests',
  name: 'gateway-auth',
  title: 'gateway GET with a verified, cached JWT (autocannon)',
  requests: 20_000,
  concurrency: [1, 100],
  notes:
    "Both sides are the Plexus gateway of http-get (`GET /api/add` → inline `math.sum`) in the measured process, driven by autocannon in a peer process on the other core, every request carrying the same `Authorization: Bearer` header. 'plexus' installs @plexus/auth (the kernel's trust interceptor) and gives the gateway its verifier: the EdDSA token is verified once, then a cache hit per request, and the principal rides the call. 'floor' is the same gateway without auth, which ignores the header. A refused request counts as an error (target: ≤ 5 % throughput cost).",
  impls: {
    floor: () => gatewayTarget(false),
    plexus: () => gatewayTarget(true),
  },
})
