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
