import { definePlugin, type Kernel, type Plugin } from '@plexus/kernel'
import { createGateway, type Gateway } from './gateway.js'
import type { GatewayOptions } from './options.js'

/** The gateway as a kernel plug-in; `instance` is the running gateway once set up. */
export type GatewayPlugin = Plugin<Kernel<any>> & { readonly instance: Gateway | undefined }

/**
 * The gateway plug-in: listens when the kernel starts, closes when it stops.
 * @example
 * const kernel = createKernel({ plugins: [gateway({ port: 8080, routes: { 'GET /api/orders/:id': 'orders.get' } })] })
 */
export function gateway(options: GatewayOptions = {}): GatewayPlugin {
  let instance: Gateway | undefined
  const plugin = definePlugin<Kernel<any>>({
    name: options.name ?? 'gateway',
    dependsOn: [],
    async setup(kernel) {
      const running = createGateway(kernel, options)
      await running.listen()
      instance = running
      return async () => {
        instance = undefined
        await running.close()
      }
    },
  })
  return Object.defineProperty(plugin, 'instance', {
    get: () => instance,
    enumerable: true,
  }) as GatewayPlugin
}
