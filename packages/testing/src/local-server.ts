import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { binarySkip } from './services.js'

/** A server binary (redis-server, nats-server) started by one test on a loopback port. */
export interface LocalServer {
  /** The port it listens on (kept across `restart`). */
  readonly port: number
  /** Its own data directory (kept across `restart`, removed when the test ends). */
  readonly dir: string
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>
  /** Kills it (SIGKILL: no shutdown of its own, as a crash or a power loss) and waits for the exit. */
  kill(): Promise<void>
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>
}

/**
 * A `skip` value for a test that needs the server `binary` from Debian's package `apt`:
 * `binarySkip` with the apt-get line as the way to install it.
 */
export function serverSkip(binary: string, apt: string): string | false {
  return binarySkip(binary, `apt-get install ${apt}`)
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Whether something accepts TCP connections on the loopback `port` now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts `binary` with `args(port, dir)` on a free loopback port in a fresh temp dir and waits
 * until it accepts connections; it is stopped and its dir removed when the test `t` ends.
 */
export async function startLocalServer(
  t: TestContext,
  binary: string,
  args: (port: number, dir: string) => string[],
): Promise<LocalServer> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), `plexus-${binary}-`))
  let child: ChildProcess | undefined
  let output = ''
  const end = async (signal: NodeJS.Signals) => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill(signal)
    })
  }
  const stop = () => end('SIGTERM')
  const start = async () => {
    const made = spawn(binary, args(port, dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    child = made
    made.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
    made.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)))
    const end = Date.now() + 10_000
    while (Date.now() < end) {
      if (made.exitCode !== null) break
      if (await accepts(port)) return
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    await stop()
    throw new Error(`${binary} did not accept connections on port ${port}\n${output}`)
  }
  t.after(async () => {
    await stop()
    await rm(dir, { recursive: true, force: true })
  })
  await start()
  return { port, dir, stop, kill: () => end('SIGKILL'), start }
}

/** A private redis-server (no persistence) for one test; `url` is its `redis://` address. */
export async function startRedisServer(t: TestContext): Promise<LocalServer & { url: string }> {
  const server = await startLocalServer(t, 'redis-server', (port) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ])
  return Object.assign(server, { url: `redis://127.0.0.1:${server.port}` })
}

/** A private nats-server with JetStream (data in its dir) for one test. */
export async function startNatsServer(t: TestContext): Promise<LocalServer & { url: string }> {
  const server = await startLocalServer(t, 'nats-server', (port, dir) => [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-js',
    '-sd',
    dir,
  ])
  return Object.assign(server, { url: `nats://127.0.0.1:${server.port}` })
}
