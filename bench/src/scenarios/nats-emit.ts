/** A plain event to a subscriber on another node over NATS: raw NATS, Moleculer-NATS, two Plexus nodes. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, Arrivals } from '../fixtures/payload.js'
import { startBroker } from '../fixtures/moleculer.js'
import { natsServerMissing, startNatsServer } from '../fixtures/nats-server.js'
import { spawnServer } from '../fixtures/spawn-server.js'

const NATS_SINK = new URL('../fixtures/nats-event-sink.mjs', import.meta.url)
const MOLECULER_SUBSCRIBER = new URL('../fixtures/moleculer-nats-subscriber.mjs', import.meta.url)
const PLEXUS_SUBSCRIBER = new URL('../fixtures/plexus-nats-subscriber.mjs', import.meta.url)

/** Resolves `n` waiting emits: the subscriber acknowledged that many. */
function acknowledge(arrivals: Arrivals, n: unknown): void {
  for (let i = 0; i < (typeof n === 'number' ? n : 0); i++) arrivals.hit()
}

export default defineScenario({
  kind: 'requests',
  name: 'nats-emit',
  title: 'emit to a subscriber on another node over NATS',
  requests: 40_000,
  // Three processes (emitter, nats-server, subscriber): at c100 the rate is still climbing after
  // a second (48k -> 77k events/s over the first four seconds, scratch run), so 1 s windows
  // measured warm-up and varied 0.6x-1.1x between runs.
  minPassMs: 5000,
  unavailable: natsServerMissing,
  notes:
    "A private nats-server per measurement; the subscriber is another process. Each op emits one event and resolves when the subscriber has handled it: every subscriber acknowledges in batches, one `bench.ack { n }` per turn of its event loop (so at c1 each event is acknowledged, at c100 many at once), back over the same transport. Floor: `publish('bench.ping', JSON)` to a raw subscriber. Moleculer: `broker.emit` over its NATS transporter (balanced event, JSON). Plexus: `kernel.emit` on a kernel joined by @plexus/nats; the subscriber's kernel is a plain-node process with the built packages; the event crosses the node link one way (the envelopes of a tick share a NATS message; the subscriber tallies outcomes back once per tick). The untimed pass lasts at least 5 s (warm-up 2.5 s) on every side.",
  impls: {
    floor: async () => {
      const nats = await startNatsServer()
      const sink = await spawnServer(NATS_SINK, [nats.url])
      const { connect } = await import('nats')
      const nc = await connect({ servers: nats.url })
      const arrivals = new Arrivals()
      nc.subscribe('bench.ack', {
        callback: (_err, msg) =>
          acknowledge(arrivals, (JSON.parse(Buffer.from(msg.data).toString()) as { n: number }).n),
      })
      await nc.flush()
      const body = () => Buffer.from(JSON.stringify(ADD_PAYLOAD))
      return {
        op: () => {
          const arrived = arrivals.wait()
          nc.publish('bench.ping', body())
          return arrived
        },
        close: async () => {
          await nc.close()
          await sink.stop()
          await nats.stop()
        },
      }
    },
    plexus: async () => {
      const nats = await startNatsServer()
      const { createKernel, defineService, silentLogger } = await import('@plexus/kernel')
      const { nats: natsPlugin } = await import('@plexus/nats')
      const arrivals = new Arrivals()
      const kernel = createKernel({
        node: 'emitter',
        logger: silentLogger,
        plugins: [natsPlugin({ servers: nats.url, namespace: 'bench' })],
      })
      kernel.add(
        defineService({
          name: 'acks',
          events: { 'bench.ack': (_ctx, ack: { n: number }) => acknowledge(arrivals, ack.n) },
        }),
      )
      await kernel.start()
      const subscriber = await spawnServer(PLEXUS_SUBSCRIBER, [nats.url])
      const routed = () =>
        kernel.services().some((s) => s.name === 'sink' && s.instances.some((i) => !i.local))
      for (let waited = 0; !routed(); waited += 10) {
        if (waited > 10_000) throw new Error('sink on the subscriber node was never attached')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return {
        op: () => {
          const arrived = arrivals.wait()
          kernel.emit('bench.ping', ADD_PAYLOAD)
          return arrived
        },
        close: async () => {
          await kernel.stop()
          await subscriber.stop()
          await nats.stop()
        },
      }
    },
    moleculer: async () => {
      const nats = await startNatsServer()
      const arrivals = new Arrivals()
      const broker = await startBroker(
        { nodeID: 'client', transporter: { type: 'NATS', options: { url: nats.url } } },
        [
          {
            name: 'acks',
            events: {
              'bench.ack': (ctx: { params: { n: number } }) => acknowledge(arrivals, ctx.params.n),
            },
          },
        ],
      )
      const subscriber = await spawnServer(MOLECULER_SUBSCRIBER, [nats.url])
      await broker.waitForServices('sink', 10_000, 10)
      return {
        op: () => {
          const arrived = arrivals.wait()
          void broker.emit('bench.ping', ADD_PAYLOAD)
          return arrived
        },
        close: async () => {
          await broker.stop()
          await subscriber.stop()
          await nats.stop()
        },
      }
    },
  },
})
