// Shipping's durable subscription against a real nats-server: the shop's services run on one
// kernel, shipping on another (joined by the nats cluster plug-in, both with the durable-events
// plug-in). Orders placed while shipping is down are shipped once it is back, each exactly once.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createKernel, silentLogger, type Kernel, type ServiceDefinition } from '@plexus/kernel'
import { kvService, memoryBackend } from '@plexus/kv'
import { durableEvents, nats, type DurablePlugin } from '@plexus/nats'
import { serverSkip, startNatsServer, until } from '@plexus/testing'
import catalog from '../src/catalog.js'
import inventory from '../src/inventory.js'
import orders from '../src/orders.js'
import payments from '../src/payments.js'
import shipping from '../src/shipping.js'
import users from '../src/users.js'

const skip = serverSkip('nats-server', 'nats-server')

const kernels: Kernel<any>[] = []

async function node(
  t: TestContext,
  url: string,
  name: string,
  services: ServiceDefinition[],
  subscribers: ServiceDefinition[] = [],
): Promise<{ kernel: Kernel<any>; durable: DurablePlugin }> {
  const durable = durableEvents({
    servers: url,
    namespace: 'shop',
    subscribers,
    refreshInterval: 100,
  })
  const kernel = createKernel({
    node: name,
    logger: silentLogger,
    // The durable plug-in first: start() checks every version's placement once the plug-ins
    // are set up, and a peer's service attached meanwhile (placement `node`) fails that check.
    plugins: [durable, nats({ servers: url, namespace: 'shop' })],
  })
  for (const service of services) kernel.add(service)
  kernels.push(kernel)
  await kernel.start()
  return { kernel, durable }
}

test(
  'shipping ships each order exactly once, also the orders placed while it was down',
  { skip, timeout: 120_000 },
  async (t) => {
    // The kernels stop before the server does (`after` hooks run in the order they were added).
    t.after(async () => {
      for (const kernel of kernels.reverse()) if (kernel.state !== 'stopped') await kernel.stop()
    })
    const { url } = await startNatsServer(t)
    const shop = await node(t, url, 'shop', [
      kvService({ backend: memoryBackend() }),
      users,
      catalog,
      inventory,
      payments,
      orders,
    ])
    const place = async (user: string) =>
      (await shop.kernel.call('orders.place', { user, items: [{ sku: 'tea', qty: 1 }] })) as {
        id: string
      }
    const count = async () =>
      (await shop.kernel.call('kv.get', { key: 'shipping/count' })) as number | null

    const first = await node(t, url, 'ship-1', [shipping], [shipping])
    await until('the shop to learn the durable topic', () =>
      shop.durable.events?.patterns().includes('orders.created') ? true : undefined,
    )
    const placed: string[] = []
    for (const user of ['ada', 'grace', 'linus']) placed.push((await place(user)).id)
    await until('3 shipped', async () => ((await count()) === 3 ? true : undefined))
    await first.kernel.stop()

    for (const user of ['ada', 'grace', 'linus', 'ada', 'grace'])
      placed.push((await place(user)).id)
    await shop.durable.events!.flushed()
    assert.equal(await count(), 3, 'nothing shipped while shipping was down')

    const second = await node(t, url, 'ship-2', [shipping], [shipping])
    await until('8 shipped', async () => ((await count()) === 8 ? true : undefined), {
      ms: 30_000,
    })
    for (const id of placed) {
      const shipment = (await shop.kernel.call('kv.get', { key: `shipments/${id}` })) as {
        order: string
      } | null
      assert.equal(shipment?.order, id)
    }
    // At least the 5 it missed (a redelivery of an earlier one is possible and harmless).
    assert.ok(second.durable.events!.deliveries.handled >= 5)
    assert.equal(await count(), 8, 'each order shipped once')
  },
)
