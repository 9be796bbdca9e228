// Extra cost of link security per node-link call: two kernels in one process over a private
// nats-server, calls a -> b with and without `identity` + `trustedKeys`, rounds interleaved.
// Run: node --conditions=plexus-source --import tsx packages/nats/test/measure-link-security.ts
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKernel, defineService, silentLogger, type Kernel } from '@plexus/kernel'
import { nats, type NatsOptions } from '@plexus/nats'
import { LinkMac } from '@plexus/wire'

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port
    s.close(() => resolve(p))
  })
})
const dir = mkdtempSync(join(tmpdir(), 'plexus-measure-'))
const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
  stdio: 'ignore',
})
await new Promise((r) => setTimeout(r, 500))
const url = `nats://127.0.0.1:${port}`
const echo = defineService({ name: 'echo', actions: { say: (_ctx, x: unknown) => x } })

async function pair(ns: string, secured: boolean): Promise<Kernel<any>[]> {
  const ka = generateKeyPairSync('ed25519')
  const kb = generateKeyPairSync('ed25519')
  const trustedKeys = [
    { key: ka.publicKey, node: 'a' },
    { key: kb.publicKey, node: 'b' },
  ]
  const opts = (key: typeof ka): Partial<NatsOptions> =>
    secured ? { identity: key.privateKey, trustedKeys } : {}
  const a = createKernel({
    node: 'a',
    logger: silentLogger,
    plugins: [nats({ servers: url, namespace: ns, ...opts(ka) })],
  })
  const b = createKernel({
    node: 'b',
    logger: silentLogger,
    plugins: [nats({ servers: url, namespace: ns, ...opts(kb) })],
  })
  b.add(echo)
  await a.start()
  await b.start()
  while (!a.describe('echo.say')) await new Promise((r) => setTimeout(r, 50))
  return [a, b]
}

async function run(kernel: Kernel<any>, calls: number, concurrency: number): Promise<number> {
  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) await kernel.call('echo.say', { a: 1, b: 2 })
    }),
  )
  return ((performance.now() - started) * 1000) / calls
}

const plain = await pair('plain', false)
const secure = await pair('secure', true)
const rounds = Number(process.env.ROUNDS ?? 5)
for (const concurrency of [1, 64]) {
  const calls = concurrency === 1 ? 2000 : 20000
  const ratios: number[] = []
  const figures: [number, number][] = []
  await run(plain[0]!, calls / 4, concurrency)
  await run(secure[0]!, calls / 4, concurrency)
  for (let i = 0; i < rounds; i++) {
    const p = await run(plain[0]!, calls, concurrency)
    const s = await run(secure[0]!, calls, concurrency)
    figures.push([p, s])
    ratios.push(s / p)
  }
  ratios.sort((x, y) => x - y)
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
  console.log(
    `c${concurrency}: plain ${median(figures.map((f) => f[0])).toFixed(1)} us/call, secured ${median(figures.map((f) => f[1])).toFixed(1)} us/call, ratio median ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  )
}
const mac = new LinkMac({ send: Buffer.alloc(32, 1), receive: Buffer.alloc(32, 1) })
const body = Buffer.alloc(40, 7)
const n = 200_000
const t0 = performance.now()
for (let i = 1; i <= n; i++) mac.check(i, body, mac.sign(i, body))
console.log(
  `LinkMac sign + check, 40-byte body: ${(((performance.now() - t0) * 1000) / n).toFixed(2)} us`,
)
for (const k of [...plain, ...secure]) await k.stop()
await new Promise((resolve) => {
  server.once('exit', resolve)
  server.kill()
})
rmSync(dir, { recursive: true, force: true })
