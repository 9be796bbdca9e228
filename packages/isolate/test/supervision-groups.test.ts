import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createKernel, defineService, silentLogger, type PlexusError } from '@plexus/kernel'
import {
  FAILED_TOPIC,
  GROUP_FAILED_TOPIC,
  GROUP_RESTARTED_TOPIC,
  installIsolation,
  type GroupPolicy,
} from '@plexus/isolate'
import { reportGates, scale } from '@plexus/testing'
import groupA from './fixtures/group-a.js'
import groupB from './fixtures/group-b.js'
import groupC from './fixtures/group-c.js'
import { eventually, fixture, rejectionOf } from './helpers.js'

const MEMBERS = ['groupA', 'groupB', 'groupC'] as const
type Member = (typeof MEMBERS)[number]

/** A kernel with one group `g` of three worker members started in the order A, B, C. */
async function groupKernel(policy: GroupPolicy, placement = 'worker') {
  const starts: Member[] = []
  const events: { topic: string; payload: any }[] = []
  const kernel = installIsolation(createKernel({ logger: silentLogger }), {
    ping: { interval: 100 },
    // A terminated sibling's guest gets 50 ms to leave by itself (its calls in flight then end).
    stopGrace: 50,
    groups: { g: policy },
  })
  kernel.add(
    defineService({
      name: 'starts',
      actions: { record: (ctx, { name }: { name: Member }) => void starts.push(name) },
      events: { 'plexus.*.*': (ctx, payload) => void events.push({ topic: ctx.topic!, payload }) },
    }),
  )
  for (const [definition, name] of [
    [groupA, 'a'],
    [groupB, 'b'],
    [groupC, 'c'],
  ] as const) {
    kernel.add(definition, {
      placement,
      module: fixture(`group-${name}`),
      settings: { group: 'g' },
    })
  }
  await kernel.start()
  assert.deepEqual([...starts], [...MEMBERS], 'the members first start in dependency order')
  starts.length = 0
  const restarts = () =>
    Object.fromEntries(
      MEMBERS.map((m) => [m, kernel.services().find((s) => s.name === m)!.instances[0]!.restarts]),
    ) as Record<Member, number>
  const running = () =>
    MEMBERS.every(
      (m) => kernel.services().find((s) => s.name === m)!.instances[0]!.state === 'running',
    )
  const count = (topic: string) => events.filter((e) => e.topic === topic).length
  return { kernel, starts, events, restarts, running, count }
}

// Each run starts two worker guests (~0.4 s each here): 30 runs in `npm test`, 100 in the soak.
const RUNS = scale({ small: 30, full: 100 })

describe('T4: supervision groups', () => {
  it(`rest_for_one: when the middle member dies only it and the ones after it restart, in start order — 0 wrong-order starts in ${RUNS} runs`, async () => {
    const g = await groupKernel({
      strategy: 'rest_for_one',
      intensity: RUNS + 10,
      period: 600_000,
      backoff: 0,
    })
    let wrongOrder = 0
    let sentinelUnavailable = 0
    for (let run = 0; run < RUNS; run++) {
      g.starts.length = 0
      // A call in flight on the member after the failed one ends at once, UNAVAILABLE (retryable).
      const inFlight = rejectionOf(g.kernel.call('groupC.slow', { ms: 60_000 }))
      await eventually(() => g.kernel.pendingCalls >= 1)
      const crash = await rejectionOf(g.kernel.call('groupB.crash'))
      assert.equal(crash.code, 'UNAVAILABLE')
      const sentinel = await inFlight
      if (sentinel.code === 'UNAVAILABLE' && sentinel.retryable === true) sentinelUnavailable++
      assert.ok(
        await eventually(() => g.count(GROUP_RESTARTED_TOPIC) === run + 1 && g.running(), 30_000),
        `run ${run}: the group restarted and every member runs again`,
      )
      if (g.starts.join() !== 'groupB,groupC') wrongOrder++
    }
    const restarts = g.restarts()
    reportGates('T4 rest_for_one', `${RUNS} runs, 3 worker members, the middle one killed`, {
      runs: RUNS,
      wrongOrder,
      restartsA: restarts.groupA,
      restartsB: restarts.groupB,
      restartsC: restarts.groupC,
      sentinelUnavailable,
    })
    assert.equal(wrongOrder, 0)
    assert.deepEqual(restarts, { groupA: 0, groupB: RUNS, groupC: RUNS })
    assert.equal(sentinelUnavailable, RUNS)
    assert.equal(
      await g.kernel.call('groupA.slow', { ms: 1 }),
      1,
      'the first member served throughout',
    )
    await g.kernel.stop()
  })

  it('one_for_all: when one member dies every member restarts, in start order', async () => {
    const g = await groupKernel({
      strategy: 'one_for_all',
      intensity: 10,
      period: 600_000,
      backoff: 0,
    })
    const before = await g.kernel.call('groupA.who')
    await rejectionOf(g.kernel.call('groupC.crash'))
    assert.ok(await eventually(() => g.count(GROUP_RESTARTED_TOPIC) === 1 && g.running(), 30_000))
    assert.deepEqual([...g.starts], [...MEMBERS])
    assert.deepEqual(g.restarts(), { groupA: 1, groupB: 1, groupC: 1 })
    assert.notDeepEqual(await g.kernel.call('groupA.who'), before, 'A runs in a fresh guest')
    const event = g.events.find((e) => e.topic === GROUP_RESTARTED_TOPIC)!.payload
    assert.equal(event.group, 'g')
    assert.equal(event.strategy, 'one_for_all')
    assert.match(event.failed, /groupC/)
    assert.equal(event.restarted.length, 3)
    await g.kernel.stop()
  })

  it('one_for_one in a group: only the failed member restarts, but from the budget the group shares', async () => {
    const g = await groupKernel({
      strategy: 'one_for_one',
      intensity: 2,
      period: 600_000,
      backoff: 0,
    })
    await rejectionOf(g.kernel.call('groupA.crash'))
    assert.ok(await eventually(() => g.count(GROUP_RESTARTED_TOPIC) === 1 && g.running(), 30_000))
    assert.deepEqual(g.starts, ['groupA'])
    await rejectionOf(g.kernel.call('groupC.crash'))
    assert.ok(await eventually(() => g.count(GROUP_RESTARTED_TOPIC) === 2 && g.running(), 30_000))
    assert.deepEqual(g.restarts(), { groupA: 1, groupB: 0, groupC: 1 })
    // The third failure in the period is past the group's intensity of 2, though B never failed.
    await rejectionOf(g.kernel.call('groupB.crash'))
    assert.ok(await eventually(() => g.count(GROUP_FAILED_TOPIC) === 1, 30_000))
    for (const m of MEMBERS) {
      const status = g.kernel.services().find((s) => s.name === m)!
      assert.equal(status.instances[0]!.state, 'failed', `${m} is FAILED with its group`)
    }
    await g.kernel.stop()
  })

  it('escalation: past the intensity (3 in the period) every member is FAILED, one group event, later calls UNAVAILABLE at once with 0 queued', async () => {
    // A 60 s period, not RELIABILITY's 5 s: three rounds of two guest starts can take longer
    // than 5 s on a loaded machine, and restarts spread past the period never reach the intensity.
    const g = await groupKernel({
      strategy: 'rest_for_one',
      intensity: 3,
      period: 60_000,
      backoff: 10,
    })
    for (let round = 1; round <= 3; round++) {
      await rejectionOf(g.kernel.call('groupB.crash'))
      assert.ok(
        await eventually(() => g.count(GROUP_RESTARTED_TOPIC) === round && g.running(), 30_000),
      )
    }
    assert.deepEqual(g.restarts(), { groupA: 0, groupB: 3, groupC: 3 })
    await rejectionOf(g.kernel.call('groupB.crash'))
    assert.ok(await eventually(() => g.count(GROUP_FAILED_TOPIC) === 1, 30_000))
    assert.ok(
      await eventually(() =>
        MEMBERS.every((m) => g.kernel.services().find((s) => s.name === m)!.state === 'failed'),
      ),
      'every member version is FAILED',
    )
    let settled = 0
    const refused = MEMBERS.flatMap((m) =>
      Array.from({ length: 20 }, () =>
        g.kernel
          .call(`${m}.who`)
          .then(
            () => 'ok',
            (error: PlexusError) => error.code,
          )
          .finally(() => settled++),
      ),
    )
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(settled, 60, `${60 - settled} calls still queued`)
    assert.equal(g.kernel.pendingCalls, 0)
    assert.deepEqual(new Set(await Promise.all(refused)), new Set(['UNAVAILABLE']))
    const failed = g.events.find((e) => e.topic === GROUP_FAILED_TOPIC)!.payload
    assert.equal(failed.group, 'g')
    assert.equal(failed.members.length, 3)
    // Counted after all of that, so a late duplicate would be seen.
    assert.equal(g.count(GROUP_FAILED_TOPIC), 1)
    assert.equal(g.count(FAILED_TOPIC), 3, 'each member reports its own FAILED once')
    assert.equal(g.count(GROUP_RESTARTED_TOPIC), 3)
    await g.kernel.stop()
  })

  it('a member naming an unknown group, or a group with an unknown strategy, is refused with INVALID_ARGUMENT', async () => {
    const kernel = installIsolation(createKernel({ logger: silentLogger }), { groups: {} })
    kernel.add(defineService({ name: 'starts', actions: { record: () => {} } }))
    kernel.add(groupA, {
      placement: 'worker',
      module: fixture('group-a'),
      settings: { group: 'nope' },
    })
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'START_FAILED')
    const cause = error.cause as PlexusError
    assert.equal(cause.code, 'INVALID_ARGUMENT')
    assert.match(cause.message, /no supervision group 'nope'/)
    await kernel.stop().catch(() => {})
    assert.throws(
      () =>
        installIsolation(createKernel({ logger: silentLogger }), {
          groups: { g: { strategy: 'all_for_none' as never } },
        }),
      (e: PlexusError) =>
        e.code === 'INVALID_ARGUMENT' && /strategy must be one of/.test(e.message),
    )
  })
})
