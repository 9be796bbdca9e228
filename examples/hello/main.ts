// The Plexus tour: `npm run example` from the repository root.
import { createKernel, defineService, isPlexusError } from '@plexus/kernel'
import { catalog, mail, orders, users } from './services.js'

const say = (line: string) => console.log(line)
const kernel = createKernel().add(users).add(catalog).add(orders).add(mail(say), { instances: 2 })

await kernel.start()
say(
  'kernel started: ' +
    kernel
      .services()
      .map((s) => `${s.name}@${s.version}`)
      .join(', '),
)

const order = await kernel.call('orders.place', { user: 1, skus: ['tea', 'scones'] })
say(`orders.place -> ${JSON.stringify(order)}`)

try {
  await kernel.call('orders.place', { user: 9, skus: ['tea'] })
} catch (error) {
  if (isPlexusError(error)) say(`orders.place for user 9 -> ${error.code}: ${error.message}`)
}

for await (const quote of kernel.stream('catalog.feed', { skus: ['jam', 'butter'] })) {
  say(`catalog.feed -> ${JSON.stringify(quote)}`)
}

await kernel.replace(
  'catalog',
  defineService({
    name: 'catalog',
    version: 2,
    actions: { price: (_ctx, sku: string) => ({ sku, cents: sku.length * 90, sale: true }) },
  }),
)
say(
  `after hot replace: catalog.price -> ${JSON.stringify(await kernel.call('catalog.price', 'tea'))}`,
)

await kernel.stop()
say('kernel stopped')
