import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, defineService, PlexusError, silentLogger } from '@plexus/kernel'
import { resilience } from '@plexus/resilience'
import { reportGates, scale } from '@plexus/testing'

/** T8's storm: RELIABILITY.md asks 10 s at 1k req/s. */
const STORM = scale({ small: { seconds: 1, rate: 1000 }, full: { seconds: 10, rate: 1000 } })

const quiet = (retries = 2) =>
  createKernel({
    logger: silentLogger,
    plugins: [resilience({ retry: { retries, backoff: 1 }, circuitBreaker: false })],
  })

describe('retry', () => {
  it('retries an idempotent action through transient UNAVAILABLE errors and the caller sees none', async () => {
    let attempts = 0
    const kernel = quiet().add(
      defineService({
        name: 'stock',
        actions: {
          read: {
            idempotent: true,
            handler: () => {
              if (++attempts % 2 === 1) throw new PlexusError('UNAVAILABLE', 'blip')
              return 'ok'
            },
          },
        },
      }),
    )
    await kernel.start()
    for (let i = 0; i < 15; i++) assert.equal(await kernel.call('stock.read'), 'ok')
    assert.equal(attempts, 30, 'one retry each, within the budget floor')
    await kernel.stop()
  })

  it('never retries an action not declared idempotent once it may have reached the handler', async () => {
    let attempts = 0
    const kernel = quiet(3).add(
      defineService({
        name: 'pay',
        actions: {
          charge: () => {
            attempts++
            throw new PlexusError('UNAVAILABLE', 'gateway down')
          },
          crash: () => {
            attempts++
            throw new Error('bug')
          },
        },
      }),
    )
    await kernel.start()
    await assert.rejects(kernel.call('pay.charge'), { code: 'UNAVAILABLE' })
    await assert.rejects(kernel.call('pay.crash'), { code: 'HANDLER' })
    assert.equal(attempts, 2)
    await kernel.stop()
  })

  it('retries OVERLOADED even for a non-idempotent action: the handler never ran', async () => {
    let runs = 0
    // Backoffs of up to 5, 10, 20, 40, 80 ms (full jitter): together they outlast the 5 ms the
    // queue stays full with near certainty, whatever the machine's load.
    const kernel = createKernel({
      logger: silentLogger,
      plugins: [resilience({ retry: { retries: 5, backoff: 5 }, circuitBreaker: false })],
    }).add(
      defineService({
        name: 'narrow',
        actions: {
          work: {
            concurrency: 1,
            queue: 1,
            handler: () => {
              runs++
              return new Promise((resolve) => setTimeout(() => resolve('done'), 5))
            },
          },
        },
      }),
    )
    await kernel.start()
    // One runs, one waits in the queue, the third is refused OVERLOADED and retried.
    const results = await Promise.all(Array.from({ length: 3 }, () => kernel.call('narrow.work')))
    assert.deepEqual(results, ['done', 'done', 'done'])
    assert.equal(runs, 3, 'a refused attempt never ran the handler')
    await kernel.stop()
  })

  it(`keeps a retry storm within the budget: ${STORM.seconds} s at ${STORM.rate} req/s to a dependency failing 100 %, attempts <= 1.2x requests + 10/s, 0 retries of a non-idempotent action (T8)`, async () => {
    let attempts = 0
    let postAttempts = 0
    const kernel = quiet(3).add(
      defineService({
        name: 'down',
        actions: {
          get: {
            idempotent: true,
            handler: () => {
              attempts++
              throw new PlexusError('UNAVAILABLE', 'down')
            },
          },
          // Not idempotent, and the handler ran: never retried, whatever the budget allows.
          post: () => {
            postAttempts++
            throw new PlexusError('UNAVAILABLE', 'down')
          },
        },
      }),
    )
    await kernel.start()
    const calls: Promise<unknown>[] = []
    let posts = 0
    const started = performance.now()
    // Open loop at the stated rate: requests do not wait for answers; one in ten is a post.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started
        const due = Math.min(STORM.rate * STORM.seconds, Math.floor((elapsed * STORM.rate) / 1000))
        while (calls.length < due) {
          if (calls.length % 10 === 9) {
            posts++
            calls.push(kernel.call('down.post').catch((e: PlexusError) => e))
          } else calls.push(kernel.call('down.get').catch((e: PlexusError) => e))
        }
        if (calls.length === STORM.rate * STORM.seconds) {
          clearInterval(timer)
          resolve()
        }
      }, 5)
    })
    const outcomes = (await Promise.all(calls)) as PlexusError[]
    const seconds = Math.max(1, Math.ceil((performance.now() - started) / 1000))
    // The budget is shared by every call through the interceptor, the posts included: the gate
    // is on all attempts against all requests. Its window is two seconds and starts empty, so
    // the first second may use two seconds' floor: one more second of floor than the run lasted.
    const requests = calls.length
    const total = attempts + postAttempts
    const allowed = Math.floor(1.2 * requests + 10 * (seconds + 1))
    reportGates('T8', `${STORM.seconds} s at ${STORM.rate} req/s, 3 retries asked, 100 % failing`, {
      requests,
      attempts: total,
      allowed,
      amplification: Number((total / requests).toFixed(3)),
      failedCalls: outcomes.filter((o) => o instanceof PlexusError).length,
      posts,
      postRetries: postAttempts - posts,
    })
    assert.equal(outcomes.filter((o) => o instanceof PlexusError).length, calls.length)
    assert.ok(total <= allowed, `${total} attempts for ${requests} requests (allowed ${allowed})`)
    assert.ok(total > requests, 'some retries happened')
    assert.equal(postAttempts, posts, 'a non-idempotent action is never retried')
    await kernel.stop()
  })

  it('stops retrying when the deadline is spent', async () => {
    let attempts = 0
    const kernel = quiet(50).add(
      defineService({
        name: 'slow',
        actions: {
          get: {
            idempotent: true,
            handler: async () => {
              attempts++
              await new Promise((r) => setTimeout(r, 20))
              throw new PlexusError('UNAVAILABLE', 'still down')
            },
          },
        },
      }),
    )
    await kernel.start()
    const started = performance.now()
    await assert.rejects(kernel.call('slow.get', undefined, { deadline: 100 }))
    assert.ok(performance.now() - started < 100 + 100)
    assert.ok(attempts <= 6, `${attempts} attempts within 100 ms`)
    await kernel.stop()
  })
})
