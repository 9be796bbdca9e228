import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { reportGates, scale, sleep, startNatsCluster, until } from '@plexus/testing'
import { workOn } from './fixtures/work.js'
import { clusterNode, routedTo, skip } from './helpers.js'

const CHAOS_MS = scale({ small: 12_000, full: 60_000 })
const DEADLINE = 2_000
const STREAK = 300

test(
  `T13: a 3-server NATS cluster bounced one server at a time for ${CHAOS_MS / 1000} s under load — every call ends ok, UNAVAILABLE or TIMEOUT (0 hangs), 100 % success within 10 s after the chaos, no rediscovery storm`,
  { skip },
  async (t) => {
    const cluster = await startNatsCluster(t, 3)
    await cluster.ready()
    const kernels: { stop(): Promise<void> }[] = []
    t.after(async () => {
      for (const kernel of kernels.reverse()) await kernel.stop()
    })
    const options = { registryReplicas: 3, livenessWindow: 1500 }
    const join = async (node: string, services: ReturnType<typeof workOn>[]) => {
      // Each node is given the servers in another order, so they spread over the cluster.
      const shift = kernels.length
      const servers = [...cluster.urls.slice(shift), ...cluster.urls.slice(0, shift)]
      const joined = await clusterNode(t, servers[0]!, node, services, { ...options, servers })
      kernels.push(joined.kernel)
      return joined
    }
    const a = await join('a', [])
    await join('b', [workOn('b')])
    await join('c', [workOn('c')])
    await routedTo(a.kernel, 'work', 'b')
    await routedTo(a.kernel, 'work', 'c')

    // An observer counts registry writes: a rediscovery storm would show here.
    const observer = await connect({ servers: cluster.urls })
    t.after(() => observer.close())
    let writes = 0
    const watcher = await (await new Kvm(observer).open('plexus_test_nodes')).watch()
    void (async () => {
      for await (const entry of watcher) if (entry.operation === 'PUT') writes++
    })().catch(() => {})
    t.after(() => watcher.stop())

    let running = true
    const outcomes = new Map<string, number>()
    let hung = 0
    let streak = 0
    let streakFrom = 0
    let finished = 0
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
    const loops = Array.from({ length: 16 }, async () => {
      while (running) {
        const started = performance.now()
        try {
          await a.kernel.call('work.get', { ms: 5 }, { deadline: DEADLINE })
          count('ok')
          if (streak++ === 0) streakFrom = started
        } catch (error) {
          count(isPlexusError(error) ? error.code : 'not a PlexusError')
          streak = 0
          await sleep(20)
        }
        if (performance.now() - started > DEADLINE + 1_000) hung++
      }
      finished++
    })

    await until('load to flow', () => ((outcomes.get('ok') ?? 0) > 100 ? true : undefined))
    const writesBefore = writes
    const chaosStart = performance.now()
    let bounces = 0
    while (performance.now() - chaosStart < CHAOS_MS) {
      const server = cluster.servers[bounces++ % cluster.servers.length]!
      await server.stop()
      await sleep(1_000 + Math.random() * 1_000)
      await server.start()
      await sleep(1_000 + Math.random() * 1_000)
    }
    const chaosEnd = performance.now()
    const chaosWrites = writes - writesBefore
    streak = 0
    await until(
      `${STREAK} calls in a row to succeed after the chaos`,
      () => (streak >= STREAK ? true : undefined),
      { ms: 30_000, context: () => JSON.stringify(Object.fromEntries(outcomes)) },
    )
    const recoveredMs = Math.max(0, streakFrom - chaosEnd)
    running = false
    await until('every caller loop to end', () => (finished === 16 ? true : undefined), {
      ms: DEADLINE + 5_000,
    })
    await Promise.all(loops)
    const chaosSeconds = (chaosEnd - chaosStart) / 1000
    const other = [...outcomes.keys()].filter((k) => !['ok', 'UNAVAILABLE', 'TIMEOUT'].includes(k))
    reportGates(
      'T13',
      `3 servers, ${bounces} bounces over ${Math.round(chaosSeconds)} s, 16 callers`,
      {
        ok: outcomes.get('ok') ?? 0,
        unavailable: outcomes.get('UNAVAILABLE') ?? 0,
        timeout: outcomes.get('TIMEOUT') ?? 0,
        otherOutcomes: other.length,
        hung,
        recoveredMs: Math.round(recoveredMs),
        registryWritesPerNodePerSecond: Number((chaosWrites / 3 / chaosSeconds).toFixed(2)),
      },
    )
    assert.deepEqual(other, [], 'every call ended ok, UNAVAILABLE or TIMEOUT')
    assert.equal(hung, 0, 'no call outlived its deadline by more than 1 s')
    assert.ok(recoveredMs <= 10_000, `100 % success ${Math.round(recoveredMs)} ms after the chaos`)
    // Each node rewrites its entry every TTL/3 (5 s) and on change; a storm would be many per second.
    assert.ok(
      chaosWrites / 3 / chaosSeconds < 1,
      `${chaosWrites} registry writes in ${Math.round(chaosSeconds)} s from 3 nodes`,
    )
  },
)
