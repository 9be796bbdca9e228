/** The gateway's WebSocket call path against its HTTP path, same action, same server. */
import { defineScenario } from '../scenario.js'
import { plexusGateway } from '../fixtures/http-servers.js'
import { loadOver } from '../fixtures/http-load.js'

export default defineScenario({
  kind: 'requests',
  name: 'http-ws',
  title: 'gateway: WebSocket call vs HTTP GET',
  requests: 20_000,
  notes:
    'The same gateway and inline `math.sum` as http-get. plexus: autocannon over HTTP (`c` connections). plexus-ws: a `ws` client in the pinned peer process with `c` `call` frames in flight, multiplexed by id over one WebSocket per 50 (the gateway allows 64 in flight per socket), each answered by a `result` frame; latency read around each call.',
  impls: {
    plexus: async () => loadOver(await plexusGateway(), 'http'),
    'plexus-ws': async () => loadOver(await plexusGateway(), 'ws'),
  },
})
