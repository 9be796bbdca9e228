/**
 * Link speed, each measurement in a fresh process, scenarios interleaved round by round:
 * `npm run measure -w packages/isolate` (add `-- quick` for one round).
 * Scenarios: `plexus` calls of `math.add` through a worker or a child process at 1 and 100
 * in flight, the raw coalesced-socket floor, and how long an isolated service takes to be ready.
 */
import { fork, spawn, spawnSync } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createKernel, silentLogger } from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import math from './add-service.js'

const SCALE = Number(process.env.MEASURE_SCALE ?? 1)
const CALLS = { 1: 5_000 * SCALE, 100: 60_000 * SCALE } as Record<number, number>
const here = fileURLToPath(import.meta.url)

async function plexus(placement: string, concurrency: number): Promise<Record<string, number>> {
  const kernel = installIsolation(createKernel({ logger: silentLogger }))
  kernel.add(math, {
    placement,
    module: new URL('./add-service.ts', import.meta.url).href,
  })
  const t0 = performance.now()
  await kernel.start()
  const ready = performance.now() - t0
  await drive((a, b) => kernel.call('math.add', { a, b }) as Promise<number>, concurrency, 2_000)
  const rate = await drive(
    (a, b) => kernel.call('math.add', { a, b }) as Promise<number>,
    concurrency,
    CALLS[concurrency]!,
  )
  await kernel.stop()
  return { rate, ready }
}

async function raw(concurrency: number): Promise<Record<string, number>> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL('./raw-echo-child.ts', import.meta.url))],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    },
  )
  const socket = child.stdio[3] as Socket
  const pending = new Map<number, (r: number) => void>()
  let out: Buffer[] = []
  let scheduled = false
  let buffered: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    let offset = 0
    while (buffered.length - offset >= 4) {
      const size = buffered.readUInt32BE(offset)
      if (buffered.length - offset - 4 < size) break
      const msg = JSON.parse(buffered.toString('utf8', offset + 4, offset + 4 + size)) as {
        id: number
        r: number
      }
      offset += 4 + size
      const resolve = pending.get(msg.id)
      pending.delete(msg.id)
      resolve?.(msg.r)
    }
    buffered = buffered.subarray(offset)
  })
  let next = 0
  const call = (a: number, b: number) =>
    new Promise<number>((resolve) => {
      const id = ++next
      pending.set(id, resolve)
      const body = Buffer.from(JSON.stringify({ id, a, b }))
      const head = Buffer.alloc(4)
      head.writeUInt32BE(body.length)
      out.push(head, body)
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          socket.write(Buffer.concat(out))
          out = []
        })
      }
    })
  await drive(call, concurrency, 2_000)
  const rate = await drive(call, concurrency, CALLS[concurrency]!)
  socket.end()
  child.kill()
  return { rate }
}

/** Per-message floors: `process.send` (IPC, JSON) and a worker port (structured clone). */
async function perMessage(kind: 'ipc' | 'port', concurrency: number) {
  const pending = new Map<number, (r: number) => void>()
  const onMessage = (msg: { id: number; r: number }) => {
    const resolve = pending.get(msg.id)
    pending.delete(msg.id)
    resolve?.(msg.r)
  }
  let post: (msg: object) => void
  let close: () => unknown
  if (kind === 'ipc') {
    const child = fork(fileURLToPath(new URL('./raw-ipc-child.ts', import.meta.url)), {
      execArgv: process.execArgv,
    })
    child.on('message', onMessage)
    post = (msg) => child.send(msg)
    close = () => child.disconnect()
  } else {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
       parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, r: m.a + m.b }))`,
      { eval: true },
    )
    worker.on('message', onMessage)
    post = (msg) => worker.postMessage(msg)
    close = () => worker.terminate()
  }
  let next = 0
  const call = (a: number, b: number) =>
    new Promise<number>((resolve) => {
      const id = ++next
      pending.set(id, resolve)
      post({ id, a, b })
    })
  await drive(call, concurrency, 2_000)
  const rate = await drive(call, concurrency, CALLS[concurrency]!)
  await close()
  return { rate }
}

/** Runs `total` calls with `concurrency` in flight; returns calls per second. */
async function drive(
  call: (a: number, b: number) => Promise<number>,
  concurrency: number,
  total: number,
): Promise<number> {
  let started = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        const n = ++started
        if ((await call(n, 1)) !== n + 1) throw new Error('wrong answer')
      }
    }),
  )
  return total / ((performance.now() - t0) / 1000)
}

const SCENARIOS = [
  'worker:1',
  'process:1',
  'raw:1',
  'ipc:1',
  'port:1',
  'worker:100',
  'process:100',
  'raw:100',
  'ipc:100',
  'port:100',
]

async function one(name: string): Promise<void> {
  const [kind, c] = name.split(':') as [string, string]
  const result =
    kind === 'raw'
      ? await raw(Number(c))
      : kind === 'ipc' || kind === 'port'
        ? await perMessage(kind, Number(c))
        : await plexus(kind, Number(c))
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
}

const LABELS: Record<string, string> = {
  worker: 'Plexus, worker placement',
  process: 'Plexus, process placement',
  raw: 'raw socket pair, coalesced per tick',
  ipc: 'raw process.send per message',
  port: 'raw worker postMessage per message (structured clone)',
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

function orchestrate(rounds: number): void {
  const results = new Map<string, Record<string, number>[]>()
  for (let round = 0; round < rounds; round++) {
    for (const name of SCENARIOS) {
      const run = spawnSync(process.execPath, [...process.execArgv, here, name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const line = run.stdout.trim().split('\n').pop() ?? '{}'
      results.set(name, [...(results.get(name) ?? []), JSON.parse(line) as Record<string, number>])
    }
  }
  const rate = (name: string) => results.get(name)!.map((r) => r.rate!)
  const ratio = (a: string, b: string) => {
    const xs = rate(a).map((v, i) => v / rate(b)[i]!)
    return `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
  }
  console.log(`| scenario | calls/s (median of ${rounds}) | × raw coalesced socket, same round |`)
  console.log('|---|---:|---:|')
  for (const name of SCENARIOS) {
    const c = name.split(':')[1]!
    console.log(
      `| ${LABELS[name.split(':')[0]!]} c${c} | ${Math.round(median(rate(name)))} | ${name.startsWith('raw') ? '1.00' : ratio(name, `raw:${c}`)} |`,
    )
  }
  for (const placement of ['worker', 'process']) {
    const ready = [...results.get(`${placement}:1`)!, ...results.get(`${placement}:100`)!].map(
      (r) => r.ready!,
    )
    console.log(
      `${placement} ready: median ${median(ready).toFixed(0)} ms (${ready.map((r) => r.toFixed(0)).join(', ')})`,
    )
  }
}

const arg = process.argv[2]
if (arg !== undefined && arg !== 'quick') await one(arg)
else orchestrate(arg === 'quick' ? 1 : 3)
