/**
 * The scale simulation of the NATS cluster (issue 11): N = 10, 50, 100 kernels, several per
 * process, on one nats-server. For each N it reports how long a new node takes to be routable
 * by every other node, and the control-plane messages each node publishes per second while the
 * cluster is idle (the server's own `/varz` count), beside Moleculer's heartbeat arithmetic.
 * Run it on a quiet machine: `npm run bench:scale` (prints a Markdown table).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createKernel, defineService, silentLogger } from '@plexus/kernel'
import { nats } from '@plexus/nats'
import { natsServerMissing, startNatsServer } from './fixtures/nats-server.js'
import { freePort } from './fixtures/spawn-server.js'

const SIZES = (process.env.SCALE_SIZES ?? '10,50,100').split(',').map(Number)
const PROCESSES = 4
const IDLE_SECONDS = 10
const NODES = new URL('./fixtures/scale-nodes.mjs', import.meta.url)

interface Row {
  n: number
  joinMs: number
  routableMs: number
  publishedPerNode: number
  deliveredPerNode: number
}

type Answer = { ready?: true; settled?: true; seen?: number }

function ask(child: ChildProcess, message: object, key: keyof Answer): Promise<Answer> {
  return new Promise((resolve) => {
    const on = (answer: Answer) => {
      if (answer[key] === undefined) return
      child.off('message', on)
      resolve(answer)
    }
    child.on('message', on)
    if (Object.keys(message).length > 0) child.send(message)
  })
}

async function varz(port: number): Promise<{ in_msgs: number; out_msgs: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/varz`)
  return (await response.json()) as { in_msgs: number; out_msgs: number }
}

async function simulate(n: number): Promise<Row> {
  const monitor = await freePort()
  const server = await startNatsServer({ monitor })
  const children: ChildProcess[] = []
  try {
    const per = Math.ceil(n / PROCESSES)
    for (let first = 0; first < n; first += per) {
      const child = fork(NODES, [server.url, String(first), String(Math.min(per, n - first))], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
    }
    await Promise.all(children.map((child) => ask(child, {}, 'ready')))
    await Promise.all(children.map((child) => ask(child, { settle: n }, 'settled')))

    const before = await varz(monitor)
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000))
    const after = await varz(monitor)

    const watching = children.map((child) => ask(child, { watch: 'newcomer' }, 'seen'))
    const started = Date.now()
    const kernel = createKernel({
      node: 'newcomer',
      logger: silentLogger,
      plugins: [nats({ servers: server.url, namespace: 'scale' })],
    })
    kernel.add(defineService({ name: 'newcomer', actions: { ping: () => 'new' } }))
    await kernel.start()
    const joinMs = Date.now() - started
    const seen = await Promise.all(watching)
    const routableMs = Math.max(...seen.map((s) => s.seen!)) - started
    await kernel.stop()
    return {
      n,
      joinMs,
      routableMs,
      publishedPerNode: (after.in_msgs - before.in_msgs) / IDLE_SECONDS / n,
      deliveredPerNode: (after.out_msgs - before.out_msgs) / IDLE_SECONDS / n,
    }
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.send({ stop: true })
          }),
      ),
    )
    await server.stop()
  }
}

const missing = natsServerMissing()
if (missing !== undefined) {
  console.error(`cluster-scale: ${missing}`)
  process.exit(1)
}
const rows: Row[] = []
for (const n of SIZES) {
  rows.push(await simulate(n))
  console.error(`N=${n} done`)
}
// Moleculer's NATS transporter: every node broadcasts a heartbeat every 5 s (heartbeatInterval)
// to every other node, and declares a node dead after 15 s of silence (heartbeatTimeout).
const lines = [
  '| N | new node: start (ms) | routable by all (ms) | published / node / s (idle) | delivered / node / s (idle) | Moleculer heartbeats delivered / node / s |',
  '|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.joinMs} | ${r.routableMs} | ${r.publishedPerNode.toFixed(1)} | ${r.deliveredPerNode.toFixed(1)} | ${((r.n - 1) / 5).toFixed(1)} |`,
  ),
]
console.log(lines.join('\n'))
