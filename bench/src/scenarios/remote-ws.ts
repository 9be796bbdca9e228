/** Call to a service that dialled in over WebSocket (@plexus/remote): one envelope per message. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { remoteKernel } from '../fixtures/plexus-remote.js'
import { rawSocket } from '../fixtures/tcp-peers.js'

export default defineScenario({
  kind: 'requests',
  name: 'remote-ws',
  title: 'call to a remote host (WebSocket, dialled in)',
  requests: 40_000,
  // Across processes the rate climbs for seconds after start: in 1 s windows remote-ws read
  // 108k-184k calls/s, in 5 s windows 229k-297k (docs/benchmarks.md, 2026-12-03). Every side alike.
  minPassMs: 5000,
  notes:
    "Plexus: the host dials `ws://…/plexus/link`; the link is a byte stream in binary WebSocket messages (no per-message deflate): a tick's frames, length prefixes included, go as one message. Floor: the raw TCP socket of child-process.",
  impls: {
    'floor-coalesced': () => rawSocket(true),
    plexus: async () => {
      const { kernel, close } = await remoteKernel('ws')
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close }
    },
  },
})
