// The shop on two nodes joined over a real nats-server, as `npm run shop:cluster` runs it:
// plexus.cluster.ts puts the store, inventory and payments on `back`, the gateway and the rest on
// `front`; the services are the same code, the split is configuration.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runPlexus, serverSkip, startNatsServer, until, userEnv } from '@plexus/testing'
import { startShop, type Shop } from './running-shop.js'

const clusterConfig = fileURLToPath(new URL('../plexus.cluster.ts', import.meta.url))

interface Status {
  name: string
  instances: { node: string; placement: string }[]
}

describe(
  'the shop on two nodes of a cluster',
  { skip: serverSkip('nats-server', 'nats-server'), timeout: 240_000 },
  () => {
    it('places an order on front with back’s store, inventory and payments, reacts to the events on front, and lists both nodes', async (t) => {
      const dirs = {
        back: await mkdtemp(join(tmpdir(), 'plexus-shop-back-')),
        front: await mkdtemp(join(tmpdir(), 'plexus-shop-front-')),
      }
      const shops: Shop[] = []
      // Registered before the server's own: the nodes leave the cluster while NATS is still up.
      t.after(async () => {
        for (const shop of shops.reverse()) await shop.stop()
        await Promise.all(Object.values(dirs).map((d) => rm(d, { recursive: true, force: true })))
      })
      const server = await startNatsServer(t)
      const env = (node: string) => ({
        PLEXUS_CLUSTER__NODE: node,
        PLEXUS_CLUSTER__NATS: server.url,
        // Each node in a directory of its own: both write the run file where the test reads it.
        PLEXUS_ADMIN__DIR: '.plexus',
        // Light on a shared machine; the calls cross nodes over NATS either way. (An override
        // names a service of that node only: on the other it would be a service without module.)
        ...(node === 'back'
          ? { PLEXUS_SERVICES__PAYMENTS__PLACEMENT: 'inline' }
          : { PLEXUS_SERVICES__ORDERS__PLACEMENT: 'inline' }),
      })
      shops.push(await startShop(dirs.back, env('back'), clusterConfig))
      const front = await startShop(dirs.front, env('front'), clusterConfig)
      shops.push(front)

      const before = await front.stock('tea')
      const placed = await front.api('POST', '/api/orders', {
        user: 'ada',
        items: [{ sku: 'tea', qty: 2 }],
      })
      assert.equal(placed.status, 201, JSON.stringify(placed.body))
      assert.equal((placed.body as { status: string }).status, 'paid')
      assert.equal(await front.stock('tea'), before - 2, 'reserved on back, read from front')
      // orders.created (from front) and payments.captured (from back) reach users on front.
      await until('the event reactions on front', async () => {
        const user = await front.api('GET', '/api/users/ada')
        return (user.body as { orders?: number } | undefined)?.orders === 1 ? true : undefined
      })

      const listed = await runPlexus(['services', '--json'], {
        cwd: dirs.front,
        env: userEnv(),
      })
      assert.equal(listed.code, 0, listed.stderr)
      const services = (JSON.parse(listed.stdout) as { services: Status[] }).services
      const nodes = (name: string) => [
        ...new Set(services.find((s) => s.name === name)?.instances.map((i) => i.node)),
      ]
      assert.deepEqual(nodes('inventory'), ['back'])
      assert.deepEqual(nodes('payments'), ['back'])
      assert.deepEqual(nodes('kv'), ['back'])
      assert.deepEqual(nodes('orders'), ['front'])
      assert.deepEqual(nodes('users'), ['front'])
    })
  },
)
