import type { TestContext } from 'node:test'
import {
  createKernel,
  silentLogger,
  type Kernel,
  type ServiceDefinition,
} from '@plexus/kernel'
import { durableEvents, type DurableOptions, type DurablePlugin } from '@plexus/nats'
import { until } from '@plexus/testing'

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
  t.after(() => (kernel.state === 'stopped' ? undefined : kernel.stop()))
  await kernel.start()
  return { kernel, plugin }
}

/** Waits (bounded) until `plugin`'s kernel publishes `pattern` durably. */
export async function knows(plugin: DurablePlugin, pattern: string): Promise<void> {
  await until(`the emitter to learn the durable pattern '${pattern}'`, () =>
    plugin.events?.patterns().includes(pattern) ? true : undefined,
  )
}
