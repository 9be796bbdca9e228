import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createKernel, defineService, silentLogger, type PlexusError } from '@plexus/kernel'

/** How many times an interval's callback ran since the tests began (the wheel ticks on one). */
let intervalRuns = 0
const realSetInterval = globalThis.setInterval

before(() => {
  globalThis.setInterval = (callback: () => void, ms?: number) =>
    realSetInterval(() => {
      intervalRuns++
      callback()
    }, ms)
})

after(() => {
  globalThis.setInterval = realSetInterval
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const feed = defineService({
  name: 'feed',
  streams: {
    // One item, then nothing for as long as the consumer waits.
    ticks: async function* () {
      yield 1
      await new Promise(() => {})
    },
  },
  actions: {
    never: () => new Promise(() => {}),
  },
})

describe('the deadline wheel at rest', () => {
  it('stops ticking while its only pending work waits far from any deadline, and still times out a call made meanwhile', async (t) => {
    const kernel = createKernel({ logger: silentLogger })
    kernel.add(feed)
    await kernel.start()
    t.after(() => kernel.stop())
    const controller = new AbortController()
    t.after(() => controller.abort())
    const waits = [
      kernel.stream('feed.ticks', undefined, { signal: controller.signal }),
      kernel.stream('feed.ticks', undefined, { deadline: 3_600_000 }),
    ].map((stream) => stream[Symbol.asyncIterator]())
    for (const wait of waits) assert.deepEqual(await wait.next(), { done: false, value: 1 })
    const pending = waits.map((wait) => wait.next().catch((error: PlexusError) => error.code))

    // Ticking every 5 ms, the wheel would run ~100 times in 500 ms; at rest it wakes for nothing.
    await sleep(50)
    const from = intervalRuns
    await sleep(500)
    assert.ok(intervalRuns - from <= 3, `the wheel ticked ${intervalRuns - from} times at rest`)

    // A call tracked while the wheel rests gets its TIMEOUT on time, never early.
    const started = performance.now()
    await assert.rejects(kernel.call('feed.never', undefined, { deadline: 100 }), {
      code: 'TIMEOUT',
    })
    const took = performance.now() - started
    assert.ok(took >= 100 && took < 1_000, `TIMEOUT after ${Math.round(took)} ms`)

    // The waits are still pending (nothing expired them early); cancelling ends the first.
    controller.abort()
    assert.equal(await pending[0], 'CANCELLED')
  })
})
