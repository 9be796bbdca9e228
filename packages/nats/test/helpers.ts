import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  createKernel,
  defineService,
  silentLogger,
  type Kernel,
  type ServiceDefinition,
} from '@plexus/kernel'
import {
  encodeLinkMessage,
  linkMessageHead,
  nats,
  type NatsOptions,
  type NatsPlugin,
} from '@plexus/nats'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { serverSkip, startNatsServer, until } from '@plexus/testing'

/** Why the nats tests skip (nats-server absent), or false. */
export const skip = serverSkip('nats-server', 'nats-server')

/** A node-link message as anyone on the subject can write one: the documented head, then `body`. */
export function linkMessage(
  head: { from: string; to?: string | undefined; seq: number; mac?: string | undefined },
  body: Uint8Array | string,
): Uint8Array {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  return encodeLinkMessage(
    linkMessageHead(head.from, head.to ?? ''),
    head.seq,
    head.mac ?? '',
    bytes,
  )
}

/** A started kernel joined to the cluster at `url` as `node`, stopped when the test ends. */
export async function clusterNode(
  t: TestContext,
  url: string,
  node: string,
  services: ServiceDefinition[],
  options: Partial<NatsOptions> = {},
): Promise<{ kernel: Kernel<any>; plugin: NatsPlugin }> {
  const plugin = nats({ servers: url, namespace: 'test', ...options })
  const kernel = createKernel({ node, logger: silentLogger, plugins: [plugin] })
  for (const service of services) kernel.add(service)
  kernelsOf(t).push(kernel)
  await kernel.start()
  return { kernel, plugin }
}

const kernels = new WeakMap<TestContext, Kernel<any>[]>()

function kernelsOf(t: TestContext): Kernel<any>[] {
  let list = kernels.get(t)
  if (list === undefined) kernels.set(t, (list = []))
  return list
}

/**
 * A private nats-server for the test. The test's kernels stop before it does (a kernel whose
 * server went first would wait on a reconnect to leave the cluster).
 */
export async function natsServer(t: TestContext): Promise<string> {
  stopKernelsFirst(t)
  return (await startNatsServer(t)).url
}

/** Stops the test's kernels when it ends; call it before starting the server they use. */
export function stopKernelsFirst(t: TestContext): void {
  const list = kernelsOf(t)
  t.after(async () => {
    for (const kernel of list.reverse()) await kernel.stop()
  })
}

/** Waits (bounded) until `kernel` routes `service` to an instance on `node`. */
export async function routedTo(kernel: Kernel<any>, service: string, node: string): Promise<void> {
  await until(`${service} on node ${node} to be attached to ${kernel.node}`, () =>
    kernel
      .services()
      .some((s) => s.name === service && s.instances.some((i) => i.node === node && !i.local))
      ? true
      : undefined,
  )
}

/** Instances of `service` that `kernel` routes to on `node`. */
export function attachedFrom(kernel: Kernel<any>, service: string, node: string): number {
  let count = 0
  for (const s of kernel.services())
    if (s.name === service) for (const i of s.instances) if (i.node === node && !i.local) count++
  return count
}

/** A service that says where it runs. */
export function where(name: string, node: string, extra: Partial<ServiceDefinition> = {}) {
  return defineService({
    name,
    ...extra,
    actions: {
      node: () => node,
      ...(extra.actions ?? {}),
    },
  })
}

const NODE_MAIN = fileURLToPath(new URL('./fixtures/node-main.ts', import.meta.url))

/** Starts fixtures/node-main.ts as node `node` in its own process; resolves once it says ready. */
export async function spawnNode(
  t: TestContext,
  url: string,
  node: string,
  window: number,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [NODE_MAIN, url, node, String(window)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => void child.kill('SIGKILL'))
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await until(`node ${node} to be ready`, () => (output.includes('ready') ? true : undefined), {
    context: () => output,
  })
  return child
}

/**
 * Node `a` and node `b` (serving `beta`) routed to each other on a private server, and a plain
 * NATS connection that speaks for no node: what the hostile-input tests forge messages with.
 */
export async function forgerSetup(
  t: TestContext,
): Promise<{ url: string; a: { kernel: Kernel<any>; plugin: NatsPlugin }; nc: NatsConnection }> {
  const url = await natsServer(t)
  const a = await clusterNode(t, url, 'a', [])
  await clusterNode(t, url, 'b', [where('beta', 'b')])
  await routedTo(a.kernel, 'beta', 'b')
  const nc = await connect({ servers: url })
  t.after(() => nc.close())
  return { url, a, nc }
}
