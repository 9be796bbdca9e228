import type { TestContext } from 'node:test'
import { createKernel, silentLogger, type Kernel, type ServiceDefinition } from '@plexus/kernel'
import { durableEvents, type DurableOptions, type DurablePlugin } from '@plexus/nats'
import { startNatsServer, until, type LocalServer } from '@plexus/testing'

const kernels = new WeakMap<TestContext, Kernel<any>[]>()

function kernelsOf(t: TestContext): Kernel<any>[] {
  let list = kernels.get(t)
  if (list === undefined) kernels.set(t, (list = []))
  return list
}

/**
 * A private nats-server (JetStream on) for the test; the test's durable kernels stop before it
 * does (`after` hooks run in the order they were added).
 */
export async function jetStreamServer(t: TestContext): Promise<LocalServer & { url: string }> {
  const list = kernelsOf(t)
  t.after(async () => {
    for (const kernel of list.reverse()) if (kernel.state !== 'stopped') await kernel.stop()
  })
  return startNatsServer(t)
}

/** A started kernel with the durable-events plug-in (namespace `test`), stopped at the end. */
export async function durableNode(
  t: TestContext,
  servers: string | string[],
  node: string,
  services: ServiceDefinition[],
  options: Partial<DurableOptions> = {},
): Promise<{ kernel: Kernel<any>; plugin: DurablePlugin }> {
  const plugin = durableEvents({
    servers,
    namespace: 'test',
    subscribers: services,
    refreshInterval: 100,
    ...options,
  })
  const kernel = createKernel({ node, logger: silentLogger, plugins: [plugin] })
  for (const service of services) kernel.add(service)
  kernelsOf(t).push(kernel)
  await kernel.start()
  return { kernel, plugin }
}

/** Waits (bounded) until `plugin`'s kernel publishes `pattern` durably. */
export async function knows(plugin: DurablePlugin, pattern: string): Promise<void> {
  await until(`the emitter to learn the durable pattern '${pattern}'`, () =>
    plugin.events?.patterns().includes(pattern) ? true : undefined,
  )
}
