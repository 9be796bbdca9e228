import type { TestContext } from 'node:test'
import {
  createKernel,
  defineService,
  silentLogger,
  type Context,
  type Kernel,
  type ServiceDefinition,
} from '@plexus/kernel'
import { nats, type NatsOptions, type NatsPlugin } from '@plexus/nats'
import { until } from '@plexus/testing'

/** The kernels of one test, stopped (last started first) before its servers. */
export function federationKernels(t: TestContext) {
  const kernels: Kernel<any>[] = []
  // Registered before the servers start: the after-hooks run in order, so kernels go first.
  t.after(async () => {
    for (const kernel of kernels.reverse()) await kernel.stop()
  })
  return {
    kernels,
    /** A started kernel `node` on `url` with `services` and these nats options. */
    async start(
      url: string,
      node: string,
      services: ServiceDefinition[],
      options: Partial<NatsOptions> = {},
    ): Promise<{ kernel: Kernel<any>; plugin: NatsPlugin }> {
      const plugin = nats({ servers: url, namespace: 'shop', livenessWindow: 2000, ...options })
      const kernel = createKernel({ node, logger: silentLogger, plugins: [plugin] })
      for (const service of services) kernel.add(service)
      kernels.push(kernel)
      await kernel.start()
      return { kernel, plugin }
    },
  }
}

/** A service `name` answering `node` with where it runs (`get` is idempotent). */
export function serving(name: string, node: string) {
  return defineService({
    name,
    actions: {
      node: () => node,
      get: { idempotent: true, handler: () => node },
    },
  })
}

/** A subscriber counting, per topic, what it received. */
export function listener(patterns: string[]) {
  const seen = new Map<string, number>()
  const events: Record<string, (ctx: Context) => void> = {}
  for (const pattern of patterns) {
    events[pattern] = (ctx) => void seen.set(ctx.topic!, (seen.get(ctx.topic!) ?? 0) + 1)
  }
  const service = defineService({ name: 'listener', events })
  return { service, seen, count: (topic: string) => seen.get(topic) ?? 0 }
}

/** Waits (bounded) until `kernel` has `want` instances of `service` placed `placement`. */
export async function placed(
  kernel: Kernel<any>,
  service: string,
  placement: string,
  want = 1,
): Promise<void> {
  await until(`${want} ${placement} instance(s) of ${service} on ${kernel.node}`, () => {
    let n = 0
    for (const s of kernel.services())
      if (s.name === service) for (const i of s.instances) if (i.placement === placement) n++
    return n >= want ? true : undefined
  })
}
