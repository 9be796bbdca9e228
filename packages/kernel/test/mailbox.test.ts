import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defineService } from '@plexus/kernel'
import { quietKernel, reportGates, sleep } from './helpers.js'

describe('mailboxes', () => {
  it('handles one message at a time with concurrency 1, in arrival order', async () => {
    const log: string[] = []
    let running = 0
    let maxRunning = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'actor',
        actions: {
          step: {
            concurrency: 1,
            handler: async (_ctx, n: number) => {
              running++
              maxRunning = Math.max(maxRunning, running)
              log.push(`start ${n}`)
              await sleep(Math.random() * 3)
              log.push(`end ${n}`)
              running--
              return n
            },
          },
        },
      }),
    )
    await kernel.start()
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => kernel.call('actor.step', n)),
    )
    assert.deepEqual(
      answers,
      Array.from({ length: 20 }, (_, n) => n),
    )
    assert.equal(maxRunning, 1)
    assert.deepEqual(log, Array.from({ length: 20 }, (_, n) => [`start ${n}`, `end ${n}`]).flat())
    await kernel.stop()
  })

  it('answers OVERLOADED at once when the bounded queue is full, and recovers after', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'narrow',
        actions: { work: { concurrency: 2, queue: 3, handler: () => sleep(20) } },
      }),
    )
    await kernel.start()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => kernel.call('narrow.work')),
    )
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length
    const overloaded = outcomes.filter(
      (o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'OVERLOADED',
    ).length
    assert.equal(ok, 5, '2 running + 3 queued admitted')
    assert.equal(overloaded, 5)
    await kernel.call('narrow.work')
    await kernel.stop()
  })

  it('sheds a burst of 10,000 calls beyond concurrency 10 + queue 100 with OVERLOADED at once, then serves everything (T10)', async () => {
    let running = 0
    let maxRunning = 0
    let finished = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'bulkhead',
        actions: {
          work: {
            concurrency: 10,
            queue: 100,
            handler: async () => {
              maxRunning = Math.max(maxRunning, ++running)
              await sleep(20)
              running--
              finished++
              return 'ok'
            },
          },
        },
      }),
    )
    await kernel.start()
    const heapBefore = process.memoryUsage().heapUsed
    let shedBeforeFirstAnswer = 0
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10_000 }, () =>
        kernel.call('bulkhead.work').catch((error: { code: string }) => {
          if (error.code === 'OVERLOADED' && finished === 0) shedBeforeFirstAnswer++
          throw error
        }),
      ),
    )
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length
    const codes = new Set(
      outcomes.flatMap((o) =>
        o.status === 'rejected' ? [(o.reason as { code: string }).code] : [],
      ),
    )
    reportGates('T10', '10,000 calls in one burst, concurrency 10 + queue 100', {
      admitted: ok,
      maxRunning,
      shedBeforeFirstAnswer,
      heapGrowthMB: Number((heapGrowth / 1024 / 1024).toFixed(1)),
    })
    assert.equal(ok, 110, '10 running + 100 queued admitted')
    assert.deepEqual([...codes], ['OVERLOADED'])
    assert.equal(shedBeforeFirstAnswer, 9_890, 'every refusal came before any admitted call ended')
    assert.ok(maxRunning <= 10, `${maxRunning} ran at once`)
    assert.ok(heapGrowth < 50 * 1024 * 1024, `heap grew ${heapGrowth} bytes`)
    // After the burst: every call within the bulkhead's size is served.
    const after = await Promise.allSettled(
      Array.from({ length: 110 }, () => kernel.call('bulkhead.work')),
    )
    assert.deepEqual(
      after.filter((o) => o.status === 'rejected'),
      [],
      'every call within the bulkhead is answered',
    )
    assert.equal(kernel.pendingCalls, 0)
    await kernel.stop()
  })

  it('keeps FIFO order per key with serializeBy while different keys run in parallel', async () => {
    const perKey = new Map<string, number[]>()
    let running = 0
    let maxRunning = 0
    const kernel = quietKernel().add(
      defineService({
        name: 'accounts',
        actions: {
          apply: {
            serializeBy: (input: { account: string }) => input.account,
            handler: async (_ctx, input: { account: string; seq: number }) => {
              running++
              maxRunning = Math.max(maxRunning, running)
              await sleep(Math.random() * 2)
              perKey.set(input.account, [...(perKey.get(input.account) ?? []), input.seq])
              running--
            },
          },
        },
      }),
    )
    await kernel.start()
    const calls = []
    for (let seq = 0; seq < 10; seq++) {
      for (const account of ['a', 'b', 'c'])
        calls.push(kernel.call('accounts.apply', { account, seq }))
    }
    await Promise.all(calls)
    for (const account of ['a', 'b', 'c'])
      assert.deepEqual(perKey.get(account), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.ok(maxRunning > 1 && maxRunning <= 3, `different keys overlapped (max ${maxRunning})`)
    await kernel.stop()
  })

  it('shares a service-wide mailbox across actions (actor-style service)', async () => {
    let running = 0
    let maxRunning = 0
    const work = async () => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await sleep(1)
      running--
    }
    const kernel = quietKernel().add(
      defineService({ name: 'single', concurrency: 1, actions: { a: work, b: work } }),
    )
    await kernel.start()
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => kernel.call(i % 2 ? 'single.a' : 'single.b')),
    )
    assert.equal(maxRunning, 1)
    await kernel.stop()
  })

  it('drops a queued message whose caller already timed out instead of running it late', async () => {
    const ran: number[] = []
    const kernel = quietKernel().add(
      defineService({
        name: 'q',
        actions: {
          job: {
            concurrency: 1,
            handler: async (_ctx, n: number) => {
              await sleep(40)
              ran.push(n)
            },
          },
        },
      }),
    )
    await kernel.start()
    const first = kernel.call('q.job', 1, { deadline: 1000 })
    const second = kernel.call('q.job', 2, { deadline: 10 }).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    )
    await first
    const outcome = await second
    // One at a time, in order: had #2 been kept to run late, it would run before #3 ends.
    await kernel.call('q.job', 3)
    assert.equal(outcome, 'TIMEOUT')
    assert.deepEqual(ran, [1, 3])
    await kernel.stop()
  })
})
