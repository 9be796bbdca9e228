import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createKernel, silentLogger, type Kernel, type KernelOptions } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { remote, type RemoteOptions, type RemotePlugin } from '@plexus/remote'

/** The token every test host presents. */
export const TOKEN = 'test-token-0123456789'

/** A started kernel listening for hosts on free loopback ports (TCP and WebSocket). */
export async function listeningKernel(
  options: KernelOptions = {},
  remoteOptions: Partial<RemoteOptions> = {},
): Promise<{ kernel: Kernel<any>; plugin: RemotePlugin; tcp: string; ws: string }> {
  const plugin = remote({
    tcp: 'tcp://127.0.0.1:0',
    ws: 'ws://127.0.0.1:0/plexus/link',
    token: TOKEN,
    ...remoteOptions,
  })
  const kernel = createKernel({ logger: silentLogger, ...options, plugins: [plugin] })
  await kernel.start()
  return { kernel, plugin, tcp: plugin.addresses.tcp!, ws: plugin.addresses.ws! }
}

/** Waits (bounded) until `address` is routable. */
export async function routable(kernel: Kernel<any>, address: string, ms = 15_000): Promise<void> {
  await until(`${address} to be routable`, () => (kernel.describe(address) ? true : undefined), {
    ms,
  })
}

/** A `plexus host` process serving `module` to the kernel at `connect` (killable for real). */
export function spawnHost(module: string, connect: string, name: string): ChildProcess {
  const main = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url))
  const tsx = import.meta.resolve('tsx')
  const { NODE_OPTIONS: _omit, ...env } = process.env
  return spawn(
    process.execPath,
    [
      '--conditions=plexus-source',
      '--import',
      tsx,
      main,
      'host',
      fileURLToPath(module),
      '--connect',
      connect,
      '--name',
      name,
      '--json',
    ],
    { env: { ...env, PLEXUS_REMOTE_TOKEN: TOKEN, PLEXUS_LOG_LEVEL: 'error' }, stdio: 'ignore' },
  )
}

/** The URL of one of isolate's fixture service modules. */
export const fixture = (name: string): string =>
  new URL(`../../isolate/test/fixtures/${name}.ts`, import.meta.url).href

/** Resolves when `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
