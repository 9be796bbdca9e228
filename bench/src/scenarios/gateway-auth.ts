/** A gateway call with a verified (cached) bearer token against the same gateway without auth. */
import { defineScenario } from '../scenario.js'
import type { RequestTarget } from '../scenario.js'
import { spawnServer } from '../fixtures/spawn-server.js'

/** Requests of one op: one autocannon run. */
const BATCH = 1_000
/** Connections autocannon keeps open during a run. */
const CONNECTIONS = 20

async function gatewayTarget(mode: 'auth' | 'plain'): Promise<RequestTarget> {
  const { default: autocannon } = await import('autocannon')
  const peer = await spawnServer<{ port: number; token: string }>(
    new URL('../fixtures/gateway-server.mjs', import.meta.url),
    [mode],
  )
  const url = `http://127.0.0.1:${peer.ready.port}/api/add?a=1&b=2`
  // The same header on both sides: the plain gateway ignores it, the other verifies it.
  const headers = { authorization: `Bearer ${peer.ready.token}` }
  return {
    itemsPerOp: BATCH,
    op: async () => {
      const result = await autocannon({ url, headers, connections: CONNECTIONS, amount: BATCH })
      // A refused request answers faster than a served one: never let that pass as a win.
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(
          `gateway-auth (${mode}): ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
        )
      }
    },
    close: () => peer.stop(),
  }
}

export default defineScenario({
  kind: 'requests',
  name: 'gateway-auth',
  title: 'gateway GET with a verified, cached JWT (autocannon)',
  requests: 100,
  concurrency: [1],
  notes: `Both sides are Plexus, in one run, the gateway in a process of its own (pinned to the other core): 'plexus' verifies \`Authorization: Bearer\` (EdDSA; verified once, then a cache hit) and runs @plexus/auth's trust interceptor; 'floor' is the same gateway without auth, sent the same header. The client is autocannon in the measuring process: each op is one run of ${BATCH} requests over ${CONNECTIONS} keep-alive connections, so rps counts requests and p50/p99 are per run of ${BATCH}, not per request (target: ≤ 5 % throughput cost).`,
  impls: {
    floor: () => gatewayTarget('plain'),
    plexus: () => gatewayTarget('auth'),
  },
})
