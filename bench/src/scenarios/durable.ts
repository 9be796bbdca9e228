/** A durable event: emit, stored in JetStream, handled, acknowledged; against raw JetStream. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, Arrivals } from '../fixtures/payload.js'
import { natsServerMissing, startNatsServer } from '../fixtures/nats-server.js'

const SUBJECT = 'plexus.bench.evt.bench.ping'

export default defineScenario({
  kind: 'requests',
  name: 'durable',
  title: 'durable emit -> handler over JetStream',
  requests: 20_000,
  // Through nats-server and JetStream: measured over 5 s as the NATS links are (see nats-emit.ts).
  minPassMs: 5000,
  unavailable: natsServerMissing,
  notes:
    'A private nats-server (file storage) per measurement, one process. Each op emits one event and resolves when the handler has run. Floor: nats.js v3 (connected with `noAsyncTraces`, as Plexus is) `js.publish(subject, json, { msgID })` (PubAck awaited in the background) and a durable pull consumer (`consume()`, explicit ack after the handler). Plexus: `kernel.emit` with `durableEvents` (outbox with msgID, a durable consumer, `kernel.dispatch`, ack after the handler). The untimed pass lasts at least 5 s (warm-up 2.5 s) on every side.',
  impls: {
    floor: async () => {
      const nats = await startNatsServer()
      const { connect } = await import('@nats-io/transport-node')
      const { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } =
        await import('@nats-io/jetstream')
      // Without async traces, as Plexus connects: nats.js builds two Errors per request otherwise.
      const nc = await connect({ servers: nats.url, noAsyncTraces: true })
      const jsm = await jetstreamManager(nc)
      await jsm.streams.add({ name: 'PLEXUS_BENCH_EVENTS', subjects: ['plexus.bench.evt.>'] })
      await jsm.consumers.add('PLEXUS_BENCH_EVENTS', {
        durable_name: 'sink',
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        filter_subject: SUBJECT,
        max_ack_pending: 256,
      })
      const js = jetstream(nc)
      const arrivals = new Arrivals()
      const messages = await (
        await js.consumers.get('PLEXUS_BENCH_EVENTS', 'sink')
      ).consume({
        max_messages: 64,
      })
      void (async () => {
        for await (const m of messages) {
          m.json()
          arrivals.hit()
          m.ack()
        }
      })()
      let n = 0
      return {
        op: () => {
          const arrived = arrivals.wait()
          void js.publish(SUBJECT, JSON.stringify({ p: ADD_PAYLOAD, m: {} }), {
            msgID: `${process.pid}-${n++}`,
          })
          return arrived
        },
        close: async () => {
          messages.stop()
          await nc.close()
          await nats.stop()
        },
      }
    },
    plexus: async () => {
      const nats = await startNatsServer()
      const { createKernel, defineService, silentLogger } = await import('@plexus/kernel')
      const { durableEvents } = await import('@plexus/nats')
      const arrivals = new Arrivals()
      const sink = defineService({
        name: 'sink',
        version: 1,
        events: { 'bench.ping': { durable: true, handler: () => arrivals.hit() } },
      })
      const kernel = createKernel({
        logger: silentLogger,
        plugins: [durableEvents({ servers: nats.url, namespace: 'bench', subscribers: [sink] })],
      }).add(sink)
      await kernel.start()
      return {
        op: () => {
          const arrived = arrivals.wait()
          kernel.emit('bench.ping', ADD_PAYLOAD)
          return arrived
        },
        close: async () => {
          await kernel.stop()
          await nats.stop()
        },
      }
    },
  },
})
