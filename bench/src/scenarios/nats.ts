/** A call to another node over NATS: raw publish with a fixed reply subject, Moleculer-NATS, and two Plexus nodes. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD } from '../fixtures/payload.js'
import { startBroker } from '../fixtures/moleculer.js'
import { natsServerMissing, startNatsServer } from '../fixtures/nats-server.js'
import { spawnServer } from '../fixtures/spawn-server.js'

const NATS_ECHO = new URL('../fixtures/nats-echo.mjs', import.meta.url)
const MOLECULER_SERVER = new URL('../fixtures/moleculer-nats-server.mjs', import.meta.url)
const PLEXUS_NODE = new URL('../fixtures/plexus-nats-node.mjs', import.meta.url)

export default defineScenario({
  kind: 'requests',
  name: 'nats',
  title: 'call to another node over NATS',
  requests: 40_000,
  // Across processes: the rate climbs for seconds after start (see nats-emit.ts); every side gets the same.
  minPassMs: 5000,
  unavailable: natsServerMissing,
  notes:
    "A private nats-server per measurement; the responder is another process. Floor: `publish('bench.add', { id, a, b }, { reply })` to one fixed reply subject the caller subscribed once, replies matched by id, JSON bodies. Moleculer: its NATS transporter, default JSON serializer. Plexus: two kernels joined by @plexus/nats (the responder a plain-node process with the built packages and `math` module), `kernel.call('math.add')` over the node link (the frames of a tick share NATS messages). The untimed pass lasts at least 5 s (warm-up 2.5 s) on every side.",
  impls: {
    floor: async () => {
      const nats = await startNatsServer()
      const responder = await spawnServer(NATS_ECHO, [nats.url])
      const { connect } = await import('nats')
      const nc = await connect({ servers: nats.url })
      const waiting = new Map<number, (r: number) => void>()
      const inbox = `bench.reply.${process.pid}`
      nc.subscribe(inbox, {
        callback: (_err, msg) => {
          const { id, r } = JSON.parse(Buffer.from(msg.data).toString()) as {
            id: number
            r: number
          }
          const resolve = waiting.get(id)
          waiting.delete(id)
          resolve?.(r)
        },
      })
      await nc.flush()
      let nextId = 0
      return {
        op: () =>
          new Promise<number>((resolve) => {
            const id = nextId++
            waiting.set(id, resolve)
            const body = JSON.stringify({ id, a: ADD_PAYLOAD.a, b: ADD_PAYLOAD.b })
            nc.publish('bench.add', Buffer.from(body), { reply: inbox })
          }),
        close: async () => {
          await nc.close()
          await responder.stop()
          await nats.stop()
        },
      }
    },
    plexus: async () => {
      const nats = await startNatsServer()
      const responder = await spawnServer(PLEXUS_NODE, [nats.url])
      const { createKernel, silentLogger } = await import('@plexus/kernel')
      const { nats: natsPlugin } = await import('@plexus/nats')
      const kernel = createKernel({
        node: 'caller',
        logger: silentLogger,
        plugins: [natsPlugin({ servers: nats.url, namespace: 'bench' })],
      })
      await kernel.start()
      const routed = () =>
        kernel.services().some((s) => s.name === 'math' && s.instances.some((i) => !i.local))
      for (let waited = 0; !routed(); waited += 10) {
        if (waited > 10_000) throw new Error('math on the responder node was never attached')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return {
        op: () => kernel.call('math.add', ADD_PAYLOAD),
        close: async () => {
          await kernel.stop()
          await responder.stop()
          await nats.stop()
        },
      }
    },
    moleculer: async () => {
      const nats = await startNatsServer()
      const server = await spawnServer(MOLECULER_SERVER, [nats.url])
      const broker = await startBroker(
        { nodeID: 'client', transporter: { type: 'NATS', options: { url: nats.url } } },
        [],
      )
      await broker.waitForServices('math', 10_000, 10)
      return {
        op: () => broker.call('math.add', ADD_PAYLOAD),
        close: async () => {
          await broker.stop()
          await server.stop()
          await nats.stop()
        },
      }
    },
  },
})
