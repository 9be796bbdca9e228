import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineService } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { clusterNode, natsServer, routedTo, skip, spawnNode } from './helpers.js'

test(
  'plain events cross a node link one way and the subscriber tallies them back: handled ones and ones whose handler threw count handled (the failure is reported on the subscriber node), nothing stays in flight',
  { skip },
  async (t) => {
    const url = await natsServer(t)
    const seen = { ok: 0, failed: 0 }
    const a = await clusterNode(t, url, 'a', [])
    const b = await clusterNode(t, url, 'b', [
      defineService({
        name: 'sink',
        events: {
          'tally.ok': () => void seen.ok++,
          'tally.fail': () => {
            seen.failed++
            throw new Error('refused by the handler')
          },
        },
      }),
    ])
    await routedTo(a.kernel, 'sink', 'b')
    for (let i = 0; i < 20; i++) a.kernel.emit('tally.ok', { i })
    for (let i = 0; i < 5; i++) a.kernel.emit('tally.fail', { i })
    const figures = () => a.plugin.plainEvents()!
    await until('every event tallied', () => (figures().inFlight === 0 ? true : undefined))
    const f = figures()
    assert.deepEqual(
      { sent: f.sent, handled: f.handled, dropped: f.dropped },
      { sent: 25, handled: 25, dropped: 0 },
    )
    assert.deepEqual(seen, { ok: 20, failed: 5 })
    assert.equal(b.kernel.counters.eventErrors, 5, 'the subscriber node reports the failures')
    assert.equal(a.kernel.counters.eventErrors, 0, 'the emitter does not report them a second time')
  },
)

test(
  'plain events still untallied when the subscriber node is SIGKILLed are dropped as UNAVAILABLE once its link is declared dead (dropped = sent - handled, none silent)',
  { skip, timeout: 60_000 },
  async (t) => {
    const url = await natsServer(t)
    const a = await clusterNode(t, url, 'a', [], { livenessWindow: 1000 })
    const child = await spawnNode(t, url, 'b', 1000)
    await routedTo(a.kernel, 'slowpoke', 'b')
    const figures = () => a.plugin.plainEvents()!
    for (let i = 0; i < 3; i++) a.kernel.emit('slowpoke.quick', { i })
    await until('the quick events tallied', () => (figures().handled === 3 ? true : undefined))
    for (let i = 0; i < 5; i++) a.kernel.emit('slowpoke.hold', { i })
    assert.equal(figures().inFlight, 5, 'held by the subscriber, not yet tallied')
    child.kill('SIGKILL')
    await until(
      'the held events counted lost',
      () => (figures().inFlight === 0 ? true : undefined),
      {
        ms: 20_000,
      },
    )
    const f = figures()
    assert.deepEqual(
      { sent: f.sent, handled: f.handled, dropped: f.dropped, reasons: f.reasons },
      { sent: 8, handled: 3, dropped: 5, reasons: { UNAVAILABLE: 5 } },
    )
  },
)
