import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, defineService, PlexusError, silentLogger } from '@plexus/kernel'
import { ejectOutliers, resilience } from '@plexus/resilience'
import { scriptedPlacement } from './scripted-placement.js'
import { reportGates, scale } from '@plexus/testing'

/** T9's load: RELIABILITY.md asks 1k req/s; the full run outlasts one 10 s ejection. */
const LOAD = scale({ small: { seconds: 1, rate: 1000 }, full: { seconds: 15, rate: 1000 } })

describe('circuit breaker', () => {
  it('opens after 5 faults in a row, refuses with CIRCUIT_OPEN without reaching the service, and closes after one good probe', async () => {
    let healthy = false
    let reached = 0
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [resilience({ retry: false, circuitBreaker: { threshold: 5, cooldown: 50 } })],
    }).add(
      defineService({
        name: 'db',
        actions: {
          query: () => {
            reached++
            if (!healthy) throw new Error('connection refused')
            return 'rows'
          },
        },
      }),
    )
    await kernel.start()
    for (let i = 0; i < 5; i++) await assert.rejects(kernel.call('db.query'), { code: 'HANDLER' })
    const refused = await Promise.allSettled(
      Array.from({ length: 100 }, () => kernel.call('db.query')),
    )
    assert.ok(
      refused.every(
        (r) => r.status === 'rejected' && (r.reason as PlexusError).code === 'CIRCUIT_OPEN',
      ),
    )
    assert.equal(reached, 5, 'nothing reached the service while open')
    await new Promise((r) => setTimeout(r, 60))
    healthy = true
    const [probe, second] = await Promise.allSettled([
      kernel.call('db.query'),
      kernel.call('db.query'),
    ])
    assert.equal(probe.status, 'fulfilled')
    assert.equal(
      (second as PromiseRejectedResult).reason.code,
      'CIRCUIT_OPEN',
      'one probe at a time',
    )
    assert.equal(await kernel.call('db.query'), 'rows')
    await kernel.stop()
  })

  it('does not count deliberate answers (VALIDATION, NOT_FOUND) as faults', async () => {
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [resilience({ retry: false })],
    }).add(
      defineService({
        name: 'users',
        actions: {
          get: () => {
            throw new PlexusError('NOT_FOUND', 'no such user')
          },
        },
      }),
    )
    await kernel.start()
    for (let i = 0; i < 20; i++)
      await assert.rejects(kernel.call('users.get'), { code: 'NOT_FOUND' })
    await kernel.stop()
  })
})

describe('outlier ejection', () => {
  it(`ejects the bad one of 3 instances after at most 5 faults in a row at ${LOAD.rate} req/s for ${LOAD.seconds} s; then callers succeed >= 99.9%, at most 1 probe per 10 s (T9)`, async () => {
    const { placement, handled } = scriptedPlacement((n) => {
      if (n === 2) throw new Error('corrupt cache')
      return 'ok'
    })
    const kernel = createKernel({ logger: silentLogger })
      .placement('scripted', placement)
      .add(defineService({ name: 'api', actions: { get: () => 'unused' } }), {
        placement: 'scripted',
        instances: 3,
        balancer: ejectOutliers({ consecutiveErrors: 5, ejectionTime: 10_000 }),
      })
    await kernel.start()
    let failures = 0
    let afterEjection = 0
    let okAfterEjection = 0
    // Calls sent once 5 failures were seen: the balancer knew; any that still fail reached the
    // bad instance after its ejection (only its probes may). Calls already routed to it before
    // the 5th failure came back fail too: at 1k req/s several are in flight at once.
    let failedAfterEjection = 0
    const calls: Promise<void>[] = []
    const total = LOAD.rate * LOAD.seconds
    const started = performance.now()
    // Open loop at the stated rate: calls do not wait for one another.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * LOAD.rate) / 1000))
        while (calls.length < due) {
          const ejected = failures >= 5
          if (ejected) afterEjection++
          calls.push(
            kernel.call('api.get').then(
              () => void (ejected && okAfterEjection++),
              () => void (failures++, ejected && failedAfterEjection++),
            ),
          )
        }
        if (calls.length === total) {
          clearInterval(timer)
          resolve()
        }
      }, 5)
    })
    await Promise.all(calls)
    const seconds = (performance.now() - started) / 1000
    // The bad instance is let back each time its ejection time (10 s) passes: one probe each,
    // which fails and ejects it again (for twice as long).
    const probes = Math.floor(seconds / 10)
    reportGates('T9', `3 instances, 1 failing, ${LOAD.seconds} s at ${LOAD.rate} req/s`, {
      calls: calls.length,
      failures,
      failedInFlightAtEjection: failures - failedAfterEjection,
      failedAfterEjection,
      readmissions: probes,
      afterEjection,
      okAfterEjection,
      successAfterPct: Number(((100 * okAfterEjection) / afterEjection).toFixed(3)),
    })
    assert.ok(
      failedAfterEjection <= probes,
      `${failedAfterEjection} failures after 5 were seen (handled: ${handled.join(',')})`,
    )
    assert.equal(handled[2], failures, 'the bad instance got no traffic but its failures')
    assert.ok(
      okAfterEjection / afterEjection >= 0.999,
      `${okAfterEjection}/${afterEjection} after ejection`,
    )
    await kernel.stop()
  })

  it('never ejects more than a third of the instances, even when every one fails', async () => {
    const { placement, handled } = scriptedPlacement(() => {
      throw new Error('all broken')
    })
    const kernel = createKernel({ logger: silentLogger })
      .placement('scripted', placement)
      .add(defineService({ name: 'api', actions: { get: () => 'unused' } }), {
        placement: 'scripted',
        instances: 6,
        balancer: ejectOutliers(),
      })
    await kernel.start()
    for (let i = 0; i < 300; i++) await kernel.call('api.get').catch(() => {})
    const before = [...handled]
    for (let i = 0; i < 300; i++) await kernel.call('api.get').catch(() => {})
    // Instances still in rotation kept getting traffic in the second half.
    const inRotation = handled.filter((count, n) => count > (before[n] ?? 0))
    assert.equal(before.filter((count) => count > 0).length, 6, 'all 6 served at first')
    const ejected = 6 - inRotation.length
    // Some were ejected (every one fails), but never more than a third of them.
    assert.ok(ejected >= 1 && ejected <= 2, `${ejected} of 6 ejected (max: 2)`)
    await kernel.stop()
  })
})
