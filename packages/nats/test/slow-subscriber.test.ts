import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineService } from '@plexus/kernel'
import { EVENTS_DROPPED } from '@plexus/nats'
import { reportGates, scale, sleep, until } from '@plexus/testing'
import { durableNode, jetStreamServer } from './durable-helpers.js'
import { clusterNode, natsServer, routedTo, skip } from './helpers.js'

const BURSTS = scale({ small: 30, full: 100 })
const PER_BURST = 100
const LIMIT = 200

/** A subscriber that handles one event at a time, slowly. */
function slow(name: string, topic: string, durable: boolean, seen: { n: number }) {
  return defineService({
    name,
    concurrency: 1,
    events: {
      [topic]: {
        ...(durable ? { durable: { backoff: [10] } } : {}),
        handler: async () => {
          await sleep(2)
          seen.n++
        },
      },
    },
  })
}

test(
  'T15: plain events to a slow subscriber over NATS stay within the buffer bound, every drop counted and announced (dropped = sent - handled); the durable path drops none',
  { skip, timeout: 120_000 },
  async (t) => {
    const url = await natsServer(t)
    const announced: number[] = []
    const watcher = defineService({
      name: 'watcher',
      events: {
        [EVENTS_DROPPED]: (_ctx, e: { dropped: number }) => void announced.push(e.dropped),
      },
    })
    const handled = { n: 0 }
    const a = await clusterNode(t, url, 'a', [watcher], { maxEventsInFlight: LIMIT })
    await clusterNode(t, url, 'b', [slow('slow', 'load.plain', false, handled)])
    await routedTo(a.kernel, 'slow', 'b')
    const total = BURSTS * PER_BURST
    for (let burst = 0; burst < BURSTS; burst++) {
      // emit is synchronous and never waits: a burst is one loop.
      for (let i = 0; i < PER_BURST; i++) a.kernel.emit('load.plain', { burst, i })
      await sleep(20)
    }
    const figures = () => a.plugin.plainEvents()!
    await until('every plain event settled', () => (figures().inFlight === 0 ? true : undefined), {
      ms: 60_000,
    })
    await until('every drop announced', () =>
      announced.reduce((x, y) => x + y, 0) === figures().dropped ? true : undefined,
    )
    const f = figures()
    // Durable path, same load: two kernels with the durable-events plug-in only.
    const { url: jsUrl } = await jetStreamServer(t)
    const durableHandled = { n: 0 }
    const d = await durableNode(t, jsUrl, 'd', [
      slow('slowd', 'load.durable', true, durableHandled),
    ])
    const c = await durableNode(t, jsUrl, 'c', [])
    await until('c to know the durable topic', () =>
      c.plugin.events?.patterns().includes('load.durable') ? true : undefined,
    )
    for (let burst = 0; burst < BURSTS; burst++) {
      for (let i = 0; i < PER_BURST; i++) c.kernel.emit('load.durable', { burst, i })
      await sleep(20)
    }
    await until(
      'every durable event handled',
      () => (durableHandled.n >= total ? true : undefined),
      { ms: 90_000 },
    )
    const durableDrops = total - d.plugin.events!.deliveries.handled
    reportGates('T15', `${total} events in bursts of ${PER_BURST}, bound ${LIMIT}`, {
      sent: f.sent,
      handled: f.handled,
      dropped: f.dropped,
      silent: f.sent - f.handled - f.dropped,
      highWater: f.highWater,
      durableDrops,
    })
    assert.equal(f.sent, total)
    assert.ok(f.highWater <= LIMIT, `${f.highWater} in flight at most, bound ${LIMIT}`)
    assert.ok(f.dropped > 0, 'the slow subscriber could not keep up: some events were dropped')
    assert.equal(f.dropped, f.sent - f.handled, 'dropped = sent - handled')
    assert.equal(handled.n, f.handled, 'the subscriber ran exactly the events counted handled')
    assert.deepEqual(Object.keys(f.reasons), ['full'])
    assert.equal(durableDrops, 0)
    assert.equal(durableHandled.n, total)
  },
)
