// Virtual actors on a cluster of kernels joined by @plexus/nats and sharing one NATS KV store:
// routing a key to its owner node, strict mode (leases), reactivation after SIGKILL, and one key
// never running two turns at once under node churn. Real nats-server (JetStream) per test.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  createKernel,
  defineService,
  isPlexusError,
  silentLogger,
  type Kernel,
} from '@plexus/kernel'
import { defineActor, leaseKey, ownerNode, stateKey } from '@plexus/actors'
import { kvService, natsStore } from '@plexus/kv'
import { serverSkip, sleep, startNatsServer, until } from '@plexus/testing'
import { tally, tallyKernel } from './fixtures/tally.js'

const skip = serverSkip('nats-server', 'nats-server')
const WINDOW = 1000
const NODE = fileURLToPath(new URL('./fixtures/tally-node.ts', import.meta.url))

/** A nats-server for the test; the kernels in `kernels` stop before it does. */
async function cluster(t: TestContext): Promise<{ url: string; kernels: Kernel<any>[] }> {
  const kernels: Kernel<any>[] = []
  t.after(async () => {
    for (const k of kernels.reverse()) if (k.state === 'running') await k.stop()
  })
  return { url: (await startNatsServer(t)).url, kernels }
}

/** Starts a tally node in its own process and waits for it to say ready. */
async function spawnNode(
  t: TestContext,
  url: string,
  node: string,
  lease: number | undefined,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [NODE, url, node, String(WINDOW), lease === undefined ? 'none' : String(lease)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.after(() => void child.kill('SIGKILL'))
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await until(`node ${node} to be ready`, () => (output.includes('ready') ? true : undefined), {
    context: () => output,
    ms: 30_000,
  })
  return child
}

/** Waits (bounded) until `kernel` routes tally to exactly the nodes `nodes` (itself included). */
async function tallyOn(kernel: Kernel<any>, nodes: string[]): Promise<void> {
  const want = [...nodes].sort().join(',')
  let seen = ''
  await until(
    `${kernel.node} to route tally to ${want}`,
    () => {
      const on = new Set<string>()
      for (const s of kernel.services())
        if (s.name === 'tally') for (const i of s.instances) on.add(i.node)
      seen = [...on].sort().join(',')
      return seen === want ? true : undefined
    },
    { context: () => `routes to ${seen}`, ms: 30_000 },
  )
}

/**
 * The external observer: every tally turn reports begin and end; a begin while another turn of
 * the same key is open is an overlap. Turns of a node SIGKILLed mid-turn are closed by `gone`.
 */
function observer() {
  const open = new Map<string, Set<string>>()
  const stats = { overlaps: 0, turns: 0, nodes: new Map<string, number>() }
  const service = defineService({
    name: 'observer',
    actions: {
      begin: (_ctx, { key, node, turn }: { key: string; node: string; turn: string }) => {
        const turns = open.get(key) ?? new Set<string>()
        if (turns.size > 0) stats.overlaps++
        turns.add(turn)
        open.set(key, turns)
        stats.turns++
        stats.nodes.set(node, (stats.nodes.get(node) ?? 0) + 1)
      },
      end: (_ctx, { key, turn }: { key: string; turn: string }) => void open.get(key)?.delete(turn),
    },
  })
  const gone = (node: string) => {
    for (const turns of open.values())
      for (const t of turns) if (t.startsWith(`${node}:`)) turns.delete(t)
  }
  return { service, stats, gone }
}

test(
  'routes each key to one node: messages for a key from every node are handled there, and the key is active there only',
  { skip },
  async (t) => {
    const { url, kernels } = await cluster(t)
    const nodes = ['a', 'b', 'c'].map((node) =>
      tallyKernel({ url, node, window: WINDOW, lease: undefined }),
    )
    kernels.push(...nodes)
    await Promise.all(nodes.map((k) => k.start()))
    for (const k of nodes) await tallyOn(k, ['a', 'b', 'c'])

    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`)
    const owners = new Map<string, string>()
    for (const id of keys) {
      const answers = await Promise.all(
        nodes.map((k) => k.call('tally.where', { id }) as Promise<string>),
      )
      assert.equal(new Set(answers).size, 1, `key ${id} handled on ${answers.join(', ')}`)
      owners.set(id, answers[0]!)
      assert.equal(answers[0], ownerNode(id, ['a', 'b', 'c']))
    }
    assert.ok(new Set(owners.values()).size >= 2, 'twelve keys spread over more than one node')
    for (const k of nodes) {
      const active = (await k.call('tally.$active', {})) as string[]
      assert.deepEqual(
        active,
        keys.filter((id) => owners.get(id) === k.node).sort(),
        `keys active on ${k.node}`,
      )
    }
  },
)

test(
  'strict mode: a second activation of a key on another node is refused UNAVAILABLE while the lease is held, and allowed once released',
  { skip },
  async (t) => {
    const nats = await startNatsServer(t)
    const kernels: Kernel<any>[] = []
    t.after(async () => {
      for (const k of kernels) if (k.state === 'running') await k.stop()
    })
    // Two kernels sharing the store but not routing to each other: both would activate.
    for (const node of ['a', 'b']) {
      const kernel = createKernel({ node, logger: silentLogger })
        .add(kvService({ store: natsStore({ servers: nats.url }) }))
        .add(tally(node, 60_000))
      kernels.push(kernel)
      await kernel.start()
    }
    const [a, b] = kernels as [Kernel<any>, Kernel<any>]
    assert.equal(await a.call('tally.where', { id: 'u1' }), 'a')
    const refused = await b.call('tally.where', { id: 'u1' }).catch((e: unknown) => e)
    assert.ok(isPlexusError(refused), `expected a PlexusError, got ${String(refused)}`)
    assert.equal(refused.code, 'UNAVAILABLE')
    assert.equal(refused.retryable, true)
    assert.deepEqual(
      { reason: (refused.data as any)?.reason, owner: (refused.data as any)?.owner },
      { reason: 'leased', owner: 'a' },
    )
    assert.match(refused.message, /'tally\/u1' is active on node 'a'/)
    assert.deepEqual(await b.call('tally.$active', {}), [])
    // Another key is not held: b takes it.
    assert.equal(await b.call('tally.where', { id: 'u2' }), 'b')
    // a stops: its leases are released (well before their 60 s), so b activates u1.
    await a.stop()
    assert.equal(await b.call('kv.get', { key: leaseKey('tally', 'u1') }), null)
    assert.equal(await b.call('tally.where', { id: 'u1' }), 'b')
  },
)

test(
  'after the owner node is SIGKILLed, the actor reactivates on another node with its last committed state',
  { skip },
  async (t) => {
    const { url, kernels } = await cluster(t)
    const watch = observer()
    const a = tallyKernel({ url, node: 'a', window: WINDOW, lease: 1500, extra: [watch.service] })
    kernels.push(a)
    await a.start()
    const b = await spawnNode(t, url, 'b', 1500)
    await tallyOn(a, ['a', 'b'])
    // A key b owns.
    let id = ''
    for (let i = 0; id === ''; i++) if (ownerNode(`k${i}`, ['a', 'b']) === 'b') id = `k${i}`
    assert.equal(await a.call('tally.where', { id }), 'b')
    for (let i = 1; i <= 5; i++) {
      assert.deepEqual(await a.call('tally.bump', { id, op: `op${i}` }), { node: 'b', n: i })
    }
    const exited = new Promise((resolve) => b.once('exit', resolve))
    b.kill('SIGKILL')
    await exited
    // Until b is unrouted and its lease runs out, calls fail UNAVAILABLE (retryable).
    let failures = 0
    const answer = await until(
      `${id} to answer again`,
      () =>
        a.call('tally.bump', { id, op: 'op6' }, { deadline: 3000 }).then(
          (r) => r as { node: string; n: number },
          (error: unknown) => {
            assert.ok(isPlexusError(error) && error.code === 'UNAVAILABLE', String(error))
            failures++
            return sleep(50).then(() => undefined)
          },
        ),
      { ms: 30_000 },
    )
    assert.deepEqual(answer, { node: 'a', n: 6 })
    assert.deepEqual(await a.call('kv.get', { key: stateKey('tally', id) }), {
      ops: ['op1', 'op2', 'op3', 'op4', 'op5', 'op6'],
    })
    assert.deepEqual(await a.call('tally.$active', {}), [id])
    assert.equal(watch.stats.overlaps, 0)
    t.diagnostic(`calls refused while b's lease ran out: ${failures}`)
  },
)

test(
  'one key never runs two turns at once across nodes under node churn (strict mode), and no acknowledged turn is lost',
  { skip, timeout: 180_000 },
  async (t) => {
    const { url, kernels } = await cluster(t)
    const LEASE = 1000
    const watch = observer()
    const a = tallyKernel({ url, node: 'a', window: WINDOW, lease: LEASE, extra: [watch.service] })
    const a2 = tallyKernel({ url, node: 'a2', window: WINDOW, lease: LEASE })
    // A node whose view is wrong: it does not route by key (preferLocal keeps every key here),
    // so only the leases keep its turns from overlapping the owner's.
    const stray = tallyKernel({
      url,
      node: 'stray',
      window: WINDOW,
      lease: LEASE,
      route: false,
      idle: 100,
    })
    kernels.push(a, a2, stray)
    await Promise.all([a.start(), a2.start(), stray.start()])
    await tallyOn(a, ['a', 'a2', 'stray'])
    await tallyOn(a2, ['a', 'a2', 'stray'])

    // Keys each node owns in turn as nodes come and go: one per node of the fullest cluster.
    const keys: string[] = []
    for (const node of ['a', 'a2', 'b', 'c']) {
      for (let i = 0; ; i++) {
        if (ownerNode(`k${i}`, ['a', 'a2', 'b', 'c', 'stray']) === node) {
          keys.push(`k${i}`)
          break
        }
      }
    }
    const attempted = new Map<string, Set<string>>(keys.map((k) => [k, new Set()]))
    const acked = new Map<string, Set<string>>(keys.map((k) => [k, new Set()]))
    let failed = 0
    let leased = 0 // the stray node's calls refused because an owner held the key's lease
    let running = true
    let seq = 0
    const loops = Array.from({ length: 9 }, async (_, loop) => {
      const from = loop === 8 ? stray : loop % 2 === 0 ? a : a2
      while (running) {
        if (from === stray) await sleep(50)
        const id = keys[seq % keys.length]!
        const op = `o${seq++}`
        attempted.get(id)!.add(op)
        try {
          await from.call('tally.bump', { id, op }, { deadline: 5000 })
          acked.get(id)!.add(op)
        } catch (error) {
          assert.ok(isPlexusError(error), String(error))
          if (from === stray && (error.data as { reason?: string })?.reason === 'leased') leased++
          failed++
          await sleep(20)
        }
      }
    })
    const ackedCount = () => [...acked.values()].reduce((n, s) => n + s.size, 0)
    const progress = async (what: string) => {
      const from = ackedCount()
      await until(
        `30 more turns acknowledged after ${what}`,
        () => (ackedCount() >= from + 30 ? true : undefined),
        { ms: 30_000, context: () => `acked ${ackedCount()}, failed ${failed}` },
      )
    }
    const serves = (node: string) =>
      until(
        `${node} to run turns of the key it owns`,
        () => ((watch.stats.nodes.get(node) ?? 0) > 0 ? true : undefined),
        { ms: 30_000 },
      )
    const kill = async (child: ChildProcess, node: string) => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
      watch.gone(node)
    }
    try {
      await progress('start')
      const b = await spawnNode(t, url, 'b', LEASE)
      await tallyOn(a, ['a', 'a2', 'b', 'stray'])
      await serves('b')
      await progress('b joined')
      const c = await spawnNode(t, url, 'c', LEASE)
      await tallyOn(a, ['a', 'a2', 'b', 'c', 'stray'])
      await serves('c')
      await progress('c joined')
      await kill(b, 'b')
      await progress('b was SIGKILLed')
      const left = new Promise((resolve) => c.once('exit', resolve))
      c.kill('SIGTERM')
      await left
      await progress('c left')
      const b2 = await spawnNode(t, url, 'b', LEASE)
      await tallyOn(a, ['a', 'a2', 'b', 'stray'])
      await progress('b rejoined')
      await kill(b2, 'b')
      await progress('b was SIGKILLed again')
    } finally {
      running = false
      await Promise.all(loops)
    }

    assert.equal(watch.stats.overlaps, 0, 'turns of one key overlapping')
    assert.ok(leased > 0, 'the stray node was refused by leases')
    for (const id of keys) {
      const state = (await a.call('kv.get', { key: stateKey('tally', id) })) as { ops: string[] }
      const ops = new Set(state.ops)
      assert.equal(ops.size, state.ops.length, `${id}: no op applied twice`)
      for (const op of acked.get(id)!) assert.ok(ops.has(op), `${id}: acknowledged ${op} lost`)
      for (const op of ops) assert.ok(attempted.get(id)!.has(op), `${id}: ${op} never sent`)
    }
    assert.ok(ackedCount() >= 210, `acknowledged turns: ${ackedCount()}`)
    assert.ok(
      [...watch.stats.nodes.keys()].filter((n) => n === 'b' || n === 'c').length === 2,
      `turns ran on the joining nodes: ${[...watch.stats.nodes].join(' ')}`,
    )
    t.diagnostic(
      `turns ${watch.stats.turns}, acknowledged ${ackedCount()}, failed ${failed} (stray refused by a lease ${leased}), by node ${[...watch.stats.nodes].join(' ')}`,
    )
  },
)

test(
  'with leases, one reminder scanner per cluster: one kernel holds the scan lease, and another takes it over (and fires due reminders) once it stops',
  { skip },
  async (t) => {
    const nats = await startNatsServer(t)
    const kernels: Kernel<any>[] = []
    t.after(async () => {
      for (const k of kernels) if (k.state === 'running') await k.stop()
    })
    const pinger = (node: string) =>
      defineActor({
        name: 'pinger',
        state: () => ({ pings: [] as string[] }),
        lease: { ttl: 60_000, node },
        reminderScan: 50,
        reminders: { ping: (self) => void self.state.pings.push(node) },
        actions: {
          pingIn: (self, { ms }: { id: string; ms: number }) => self.remind('ping', { in: ms }),
          pings: (self, _: { id: string }) => self.state.pings,
        },
      })
    for (const node of ['a', 'b']) {
      const kernel = createKernel({ node, logger: silentLogger })
        .add(kvService({ store: natsStore({ servers: nats.url }) }))
        .add(pinger(node))
      kernels.push(kernel)
      await kernel.start()
    }
    const scanner = () =>
      kernels[0]!.call('kv.get', { key: 'actor-scan/pinger' }) as Promise<{ node: string } | null>
    const first = (
      await until('a scanner to be elected', async () => (await scanner()) ?? undefined)
    ).node
    const [held, other] = first === 'a' ? kernels : [...kernels].reverse()
    // The other kernel never takes it while the holder runs (20 of its scans).
    for (let i = 0; i < 20; i++) {
      await sleep(50)
      assert.equal((await scanner())?.node, first)
    }
    // The holder stops (releasing the lease): the other kernel is elected and fires reminders.
    await held!.stop()
    const second = other!.node
    await until('the other kernel to hold the scan lease', async () =>
      ((await other!.call('kv.get', { key: 'actor-scan/pinger' })) as { node: string } | null)
        ?.node === second
        ? true
        : undefined,
    )
    await other!.call('pinger.pingIn', { id: 'p1', ms: 0 })
    await until('the reminder to fire', async () =>
      ((await other!.call('pinger.pings', { id: 'p1' })) as string[]).length === 1
        ? true
        : undefined,
    )
    assert.deepEqual(await other!.call('pinger.pings', { id: 'p1' }), [second])
  },
)
