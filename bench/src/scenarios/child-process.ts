/** Call into another process over loopback TCP: raw socket floors and Moleculer's TCP transporter. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { isolatedKernel } from '../fixtures/plexus-isolated.js'
import { startBroker } from '../fixtures/moleculer.js'
import { freePort, spawnServer } from '../fixtures/spawn-server.js'
import { tcpClient } from '../fixtures/tcp-client.js'

const TCP_SERVER = new URL('../fixtures/tcp-server.mjs', import.meta.url)
const MOLECULER_SERVER = new URL('../fixtures/moleculer-tcp-server.mjs', import.meta.url)

async function rawSocket(coalesced: boolean) {
  const server = await spawnServer<{ port: number }>(TCP_SERVER, [
    coalesced ? 'coalesced' : 'plain',
  ])
  const client = await tcpClient(server.ready.port, coalesced)
  return {
    op: () => client.call(ADD_PAYLOAD),
    close: async () => {
      client.close()
      await server.stop()
    },
  }
}

export default defineScenario({
  kind: 'requests',
  name: 'child-process',
  title: 'call to another process (loopback TCP)',
  requests: 40_000,
  notes:
    "Floors: one socket, 4-byte length + JSON `{ id, a, b }` frames, replies matched by id; 'floor' writes every frame, 'floor-coalesced' writes once per tick on both ends. Moleculer: its TCP transporter (static URLs, UDP discovery off, 1 s gossip), default JSON serializer. Plexus: `placement: 'process'` from @plexus/isolate (its wire protocol over the child's pipe), the same `math` module.",
  impls: {
    floor: () => rawSocket(false),
    'floor-coalesced': () => rawSocket(true),
    moleculer: async () => {
      const [port, clientPort] = [await freePort(), await freePort()]
      const server = await spawnServer(MOLECULER_SERVER, [String(port), String(clientPort)])
      const broker = await startBroker(
        {
          nodeID: 'client',
          transporter: {
            type: 'TCP',
            options: {
              udpDiscovery: false,
              gossipPeriod: 1,
              port: clientPort,
              urls: `127.0.0.1:${port}/server`,
            },
          },
        },
        [],
      )
      await broker.waitForServices('math', 10_000, 10)
      return {
        op: () => broker.call('math.add', ADD_PAYLOAD),
        close: async () => {
          await broker.stop()
          await server.stop()
        },
      }
    },
    plexus: async () => {
      const kernel = await (await isolatedKernel('process'))()
      return { op: () => kernel.call('math.add', ADD_PAYLOAD), close: () => kernel.stop() }
    },
  },
})
