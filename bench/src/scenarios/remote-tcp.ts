/** Call to a service that dialled in over TCP (@plexus/remote), against the same peers as child-process. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { remoteKernel } from '../fixtures/plexus-remote.js'
import { moleculerTcp, rawSocket } from '../fixtures/tcp-peers.js'

export default defineScenario({
  kind: 'requests',
  name: 'remote-tcp',
  title: 'call to a remote host (TCP, dialled in)',
  requests: 40_000,
  // Across processes the rate climbs for seconds after start: in 1 s windows remote-ws read
  // 108k-184k calls/s, in 5 s windows 229k-297k (docs/benchmarks.md, 2026-12-03). Every side alike.
  minPassMs: 5000,
  notes:
    'Plexus: the kernel listens (`remote({ tcp })`), a plain-node host process with the built `math` module dials in (`runHost`), length-prefixed frames over loopback TCP. Floors and Moleculer as in child-process.',
  impls: {
    floor: () => rawSocket(false),
    'floor-coalesced': () => rawSocket(true),
    moleculer: moleculerTcp,
    plexus: async () => {
      const { kernel, close } = await remoteKernel('tcp')
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close }
    },
  },
})
