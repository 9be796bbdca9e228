import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { WebSocket } from 'ws'
import { defineService, PlexusError, type Kernel } from '@plexus/kernel'
import { serveDefinition } from '@plexus/isolate'
import { runHost } from '@plexus/remote'
import { until } from '@plexus/testing'
import { type Session } from '@plexus/wire'
import echo from '../../isolate/test/fixtures/echo.js'
import malicious, { BAD } from '../../isolate/test/fixtures/malicious.js'
import { TOKEN, exited, fixture, listeningKernel, routable, spawnHost } from './helpers.js'

const instancesOf = (kernel: Kernel<any>, name: string) =>
  kernel.services().find((s) => s.name === name)?.instances ?? []

/** Runs `concurrency` callers in a loop until `stop()`; records every outcome. */
function load(kernel: Kernel<any>, address: string, concurrency: number, input: unknown = 1) {
  const outcome = { ok: 0, errors: [] as PlexusError[] }
  let running = true
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        await kernel.call(address, input, { deadline: 5_000 })
        outcome.ok++
      } catch (error) {
        outcome.errors.push(error as PlexusError)
      }
    }
  })
  return {
    outcome,
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

describe('T2 over a remote link: SIGKILL of a host process under load', () => {
  for (const [label, address] of [
    [
      'a non-idempotent action: every call ends, errors only UNAVAILABLE (retryable), and the host is routed again once it reconnects',
      'crashy.echo',
    ],
    ['an idempotent action: retried on the other host, 0 errors seen by callers', 'crashy.idem'],
  ] as const) {
    it(label, async () => {
      const { kernel, tcp } = await listeningKernel({}, { pingInterval: 200 })
      const hosts = [
        spawnHost(fixture('crashy'), tcp, 'h1'),
        spawnHost(fixture('crashy'), tcp, 'h2'),
      ]
      await until('both hosts attached', () =>
        instancesOf(kernel, 'crashy').length === 2 ? true : undefined,
      )
      const run = load(kernel, address, 20)
      const kills = 3
      for (let k = 0; k < kills; k++) {
        const before = run.outcome.ok
        await until('calls succeeding', () => (run.outcome.ok >= before + 200 ? true : undefined))
        const { pid } = (await kernel.call('crashy.who')) as { pid: number }
        const victim = hosts.findIndex((h) => h.pid === pid)
        assert.ok(victim >= 0, `pid ${pid} is one of the hosts`)
        process.kill(pid, 'SIGKILL')
        await exited(hosts[victim]!)
        await until('the dead host detached', () =>
          instancesOf(kernel, 'crashy').length === 1 ? true : undefined,
        )
        hosts[victim] = spawnHost(fixture('crashy'), tcp, `h${victim + 1}`)
        await until('the host re-attached after it reconnected', () =>
          instancesOf(kernel, 'crashy').length === 2 ? true : undefined,
        )
      }
      const after = run.outcome.ok
      await until('calls succeeding after the kills', () =>
        run.outcome.ok >= after + 200 ? true : undefined,
      )
      // Every loop ends: no call hangs (each would otherwise wait for its 5 s deadline at most).
      await run.stop()
      for (const error of run.outcome.errors) {
        assert.equal(error.code, 'UNAVAILABLE', error.message)
        assert.equal(error.retryable, true)
      }
      if (address === 'crashy.idem') assert.equal(run.outcome.errors.length, 0)
      else assert.ok(run.outcome.errors.length <= kills * 20, `${run.outcome.errors.length} errors`)
      assert.ok(run.outcome.ok > 0)
      for (const host of hosts) host.kill('SIGKILL')
      await Promise.all(hosts.map(exited))
      await kernel.stop()
      assert.equal(kernel.pendingCalls, 0)
    })
  }
})

/** A host the test controls byte for byte: a real session serving `definition`, plus raw writes. */
async function rawHost(
  url: string,
  transport: 'tcp' | 'ws',
  definition: Parameters<typeof serveDefinition>[0],
  token = TOKEN,
): Promise<{
  session: Session
  raw(body: Buffer): void
  broken: Promise<PlexusError>
  close(): void
}> {
  let broke!: (error: PlexusError) => void
  const broken = new Promise<PlexusError>((resolve) => (broke = resolve))
  if (transport === 'tcp') {
    const { port } = new URL(url)
    const socket = connect({ host: '127.0.0.1', port: Number(port) })
    await new Promise((resolve) => socket.once('connect', resolve))
    const session = serveDefinition(
      definition,
      { write: (c) => socket.write(c), close: () => socket.destroy() },
      { id: 'raw', token, onBroken: broke },
    )
    socket.on('data', (chunk: Buffer) => session.receive(chunk))
    socket.on('close', () => broke(new PlexusError('UNAVAILABLE', 'closed')))
    return { session, raw: (b) => socket.write(b), broken, close: () => socket.destroy() }
  }
  const socket = new WebSocket(url)
  // The kernel's HELLO can arrive in the same tick as 'open': listen before awaiting it.
  const early: Buffer[] = []
  let feed: (data: Buffer) => void = (data) => void early.push(data)
  socket.on('message', (data: Buffer) => feed(data))
  await new Promise((resolve) => socket.once('open', resolve))
  // The WebSocket link is a byte stream in binary messages (docs/protocol.md §1), as over TCP.
  const session = serveDefinition(
    definition,
    { write: (c) => socket.send(c), close: () => socket.terminate() },
    { id: 'raw', token, onBroken: broke },
  )
  feed = (data) => session.receive(data)
  for (const data of early.splice(0)) feed(data)
  socket.on('close', () => broke(new PlexusError('UNAVAILABLE', 'closed')))
  return {
    session,
    raw: (b) => socket.send(b),
    broken,
    close: () => socket.terminate(),
  }
}

const ENVELOPE_KINDS = [
  'unknown version',
  'unknown type',
  'invalid JSON',
  'proto key',
  'JSON nested 10k deep',
  'invalid UTF-8',
] as const

for (const transport of ['tcp', 'ws'] as const) {
  describe(`bad input on a remote ${transport} link`, () => {
    it('10,000 malformed envelopes from a host alongside valid traffic: 0 errors on it, each refused and counted, the link stays up (T18)', async () => {
      const { kernel, tcp, ws } = await listeningKernel()
      const url = transport === 'tcp' ? tcp : ws
      const good = runHost(echo, { connect: url, token: TOKEN, name: 'good' })
      const bad = await rawHost(url, transport, malicious)
      await routable(kernel, 'echo.add')
      await routable(kernel, 'malicious.ok')
      const valid = [
        load(kernel, 'echo.add', 2, { a: 1, b: 2 }),
        load(kernel, 'malicious.ok', 2, 7),
      ]
      const far = [0x7f, 0xff, 0xff, 0xff]
      // Each kind built once: building a 20 KB frame from a number array 1,667 times would
      // block this process (the kernel's too) for seconds on a loaded machine.
      const frames = ENVELOPE_KINDS.map((kind) => BAD[kind](far))
      const total = 10_000
      for (let sent = 0; sent < total;) {
        const batch: Buffer[] = []
        for (let i = 0; i < 100; i++, sent++) batch.push(frames[sent % frames.length]!)
        if (transport === 'tcp') bad.raw(Buffer.concat(batch))
        else for (const b of batch) bad.raw(b)
        await new Promise((resolve) => setImmediate(resolve))
      }
      const refused = () => instancesOf(kernel, 'malicious')[0]?.refused ?? -1
      await until(
        'every bad envelope refused and counted',
        () => (refused() >= total ? true : undefined),
        { ms: 60_000 },
      )
      assert.equal(refused(), total, 'each refused exactly once')
      assert.equal(await kernel.call('malicious.ok', 1), 1, 'the link stayed up')
      for (const v of valid) await v.stop()
      assert.deepEqual(
        valid.map((v) => v.outcome.errors.length),
        [0, 0],
        'no error on valid traffic',
      )
      assert.ok(valid.every((v) => v.outcome.ok > 0))
      bad.close()
      await good.stop()
      await kernel.stop()
    })

    it('refuses a host whose manifest clashes with the running version (MANIFEST_MISMATCH) and one with a wrong token (UNAUTHORIZED), attaching nothing', async () => {
      const { kernel, tcp, ws } = await listeningKernel()
      const url = transport === 'tcp' ? tcp : ws
      kernel.add(defineService({ name: 'pricing', actions: { quote: () => 1 } }))
      await routable(kernel, 'pricing.quote')
      const clash = await rawHost(
        url,
        transport,
        defineService({ name: 'pricing', actions: { other: () => 2 } }),
      )
      const refused = await clash.broken
      assert.equal(refused.code, 'MANIFEST_MISMATCH')
      const wrong = await rawHost(
        url,
        transport,
        defineService({ name: 'tax', actions: { rate: () => 3 } }),
        'wrong-token-000000',
      )
      const unauthorized = await wrong.broken
      assert.equal(unauthorized.code, 'UNAUTHORIZED')
      assert.equal((unauthorized.data as { reason: string }).reason, 'bad-token')
      assert.deepEqual(
        kernel.services().map((s) => [s.name, s.instances.length]),
        [['pricing', 1]],
        'nothing attached',
      )
      await kernel.stop()
    })
  })
}
