/** Call into another process over loopback TCP: raw socket floors and Moleculer's TCP transporter. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { isolatedKernel } from '../fixtures/plexus-isolated.js'
import { moleculerTcp, rawSocket } from '../fixtures/tcp-peers.js'

export default defineScenario({
  kind: 'requests',
  name: 'child-process',
  title: 'call to another process (loopback TCP)',
  requests: 40_000,
  // Across processes the rate climbs for seconds after start: in 1 s windows remote-ws read
  // 108k-184k calls/s, in 5 s windows 229k-297k (docs/benchmarks.md, 2026-12-03). Every side alike.
  minPassMs: 5000,
  notes:
    "Floors: one socket, 4-byte length + JSON `{ id, a, b }` frames, replies matched by id; 'floor' writes every frame, 'floor-coalesced' writes once per tick on both ends. Moleculer: its TCP transporter (static URLs, UDP discovery off, 1 s gossip), default JSON serializer. Plexus: `placement: 'process'` from @plexus/isolate (its wire protocol over the child's pipe), the same `math` module.",
  impls: {
    floor: () => rawSocket(false),
    'floor-coalesced': () => rawSocket(true),
    moleculer: moleculerTcp,
    plexus: async () => {
      const kernel = await (await isolatedKernel('process'))()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
