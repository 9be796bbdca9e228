// `npm run shop:cluster`: the shop on two kernels joined over NATS, on this machine. Starts a
// nats-server (JetStream on, loopback, its store under .plexus/nats), then the `back` node, then
// the `front` node (plexus.cluster.ts says which services each runs), and stops all three on
// Ctrl-C or SIGTERM: the kernels first (each drains), the server last.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

const NATS_PORT = Number(process.env.NATS_PORT ?? 4222)
const CONFIG = 'examples/shop/plexus.cluster.ts'
const PLEXUS = 'node_modules/@plexus/cli/bin/plexus.js'

if (spawnSync('nats-server', ['--version']).error !== undefined) {
  console.error('shop:cluster needs nats-server on the PATH (Debian: apt-get install nats-server)')
  process.exit(1)
}

const children = []
const run = (name, command, args, env = {}) => {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = `[${name}] `
  for (const stream of [child.stdout, child.stderr]) {
    let rest = ''
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) process.stdout.write(prefix + line + '\n')
    })
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the rest`)
      void stop(1)
    }
  })
  children.push({ name, child })
  return child
}

const until = async (what, ok, ms = 30_000) => {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
// The node writes its run file once it runs (the file was removed before it started).
const running = (dir) => () => existsSync(join(dir, 'admin.json'))

let stopping = false
const stop = async (code) => {
  if (stopping) return
  stopping = true
  // Kernels first, in reverse start order, so each drains while NATS is still up.
  for (const { child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

const store = '.plexus/nats'
mkdirSync(store, { recursive: true })
const server = run('nats', 'nats-server', [
  '-a',
  '127.0.0.1',
  '-p',
  String(NATS_PORT),
  '-js',
  '-sd',
  store,
])
await until(`nats-server on port ${NATS_PORT}`, () => accepts(NATS_PORT))
const nats = `nats://127.0.0.1:${NATS_PORT}`
const node = (name, dir) => {
  rmSync(join(dir, 'admin.json'), { force: true })
  run(name, process.execPath, [PLEXUS, 'start', CONFIG], {
    PLEXUS_CLUSTER__NODE: name,
    PLEXUS_CLUSTER__NATS: nats,
  })
  return until(`node '${name}'`, running(dir), 60_000)
}
try {
  await node('back', '.plexus/back')
  await node('front', '.plexus')
  console.log(
    `\nThe shop runs on two nodes over ${nats}: try \`npx plexus services\` (the NODES column).`,
  )
} catch (error) {
  console.error(String(error))
  await stop(1)
}
void server
