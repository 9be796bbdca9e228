// The shop run as a user runs it: `plexus start` in a child process, orders placed with
// `plexus call`, effects checked through the kv store, payments SIGKILLed, then SIGTERM.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  runPlexus,
  startPlexus,
  until as waitFor,
  userEnv,
  type RunningPlexus,
} from '@plexus/testing'
import shopConfig from '../plexus.config.js'
import { shopToken } from './running-shop.js'

const config = fileURLToPath(new URL('../plexus.config.ts', import.meta.url))
const env = userEnv({ PORT: '0', SHOP_PAYMENT_DELAY_MS: '150' })

interface Order {
  id: string
  total: number
  status: string
}

let dir: string
let shop: RunningPlexus
let token: string

const plexus = (args: string[]) => runPlexus(args, { cwd: dir, env })

async function call<T>(address: string, input: unknown): Promise<T> {
  const { code, stdout, stderr } = await plexus(['call', address, JSON.stringify(input), '--json'])
  assert.equal(code, 0, `plexus call ${address} failed: ${stderr}${stdout}`)
  return (JSON.parse(stdout) as { data: T }).data
}

const kv = <T>(key: string) => call<T | null>('kv.get', { key })

/** Waits for `probe`, with the shop's output in the error when it times out. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000) =>
  waitFor(what, probe, { ms, context: () => shop.output() })

const runFile = () => join(dir, '.plexus', 'admin.json')

// Generous: on a loaded 2-core machine the start, the worker threads and the restart take minutes.
describe('the shop, started through the plexus CLI', { timeout: 300_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plexus-shop-'))
    shop = startPlexus(['start', config, '--json'], { cwd: dir, env })
    await until('the run file', async () => (existsSync(runFile()) ? true : undefined), 60_000) // worker threads and a child process start slowly on a loaded machine
    token = await shopToken(dir, env)
  })

  after(async () => {
    // SIGTERM: the launcher passes it on; a SIGKILL would reach the launcher only, orphaning the kernel.
    await shop.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('logs structured JSON lines saying where it listens', () => {
    const line = shop
      .output()
      .split('\n')
      .find((l) => l.includes('"shop is running"'))
    assert.ok(line, `no start line in:\n${shop.output()}`)
    const record = JSON.parse(line) as { gateway: string; admin: string }
    assert.match(record.gateway, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.match(record.admin, /^127\.0\.0\.1:\d+$/)
  })

  it('runs orders in 2 worker threads and payments in a child process, as configured', async () => {
    const { stdout } = await plexus(['services', '--json'])
    const services = (
      JSON.parse(stdout) as { services: { name: string; instances: { placement: string }[] }[] }
    ).services
    const placements = (name: string) =>
      services.find((s) => s.name === name)?.instances.map((i) => i.placement)
    assert.deepEqual(placements('orders'), ['worker', 'worker'])
    assert.deepEqual(placements('payments'), ['process'])
    assert.deepEqual(placements('kv'), ['inline'])
  })

  it('places orders with plexus call: stock reserved, payment captured, events reacted to', async () => {
    const first = await call<Order>('orders.place', {
      user: 'ada',
      items: [{ sku: 'tea', qty: 2 }],
    })
    const second = await call<Order>('orders.place', {
      user: 'ada',
      items: [
        { sku: 'tea', qty: 1 },
        { sku: 'jam', qty: 3 },
      ],
    })
    assert.equal(first.status, 'paid')
    assert.equal(first.total, 900)
    assert.equal(second.total, 450 + 3 * 520)
    assert.equal(await kv<number>('stock/tea'), 97)
    assert.equal(await kv<number>('stock/jam'), 17)
    const payment = await kv<{ status: string; amount: number }>(`payments/${first.id}`)
    assert.deepEqual([payment?.status, payment?.amount], ['captured', 900])
    // orders.created and payments.captured are handled by users and catalog.
    await until('the event reactions', async () =>
      (await kv<number>('users/ada/orders')) === 2 ? true : undefined,
    )
    assert.equal(await kv<number>('users/ada/spent'), 900 + 450 + 3 * 520)
    assert.equal(await kv<number>('sales/tea'), 3)
  })

  it('serves Prometheus metrics on the gateway, worker and process instances included', async () => {
    const { gateway } = JSON.parse(readFileSync(runFile(), 'utf8')) as { gateway: string }
    const response = await fetch(`${gateway}/metrics`)
    assert.equal(response.status, 200)
    const text = await response.text()
    const line = (re: RegExp) => text.split('\n').filter((l) => re.test(l))
    assert.equal(line(/^plexus_instance_up\{service="orders".*placement="worker".*\} 1$/).length, 2)
    assert.equal(
      line(/^plexus_instance_up\{service="payments".*placement="process".*\} 1$/).length,
      1,
    )
    const placed = line(/^plexus_messages_total\{service="orders".*outcome="ok"\}/)
      .map((l) => Number(l.split(' ').pop()))
      .reduce((a, b) => a + b, 0)
    assert.ok(placed >= 2, `orders handled ${placed}:\n${text}`)
  })

  it('describes its API at /openapi.json and refuses bad input with VALIDATION before a handler runs', async () => {
    const { gateway } = JSON.parse(readFileSync(runFile(), 'utf8')) as { gateway: string }
    const doc = (await (await fetch(`${gateway}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-plexus-address': string; requestBody?: any }>>
    }
    const routes = (shopConfig.gateway as { routes: Record<string, string | { action: string }> })
      .routes
    for (const [key, target] of Object.entries(routes)) {
      const [method, path] = key.split(' ') as [string, string]
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]
      assert.equal(
        op?.['x-plexus-address'],
        typeof target === 'string' ? target : target.action,
        key,
      )
    }
    const body = doc.paths['/api/orders']!['post']!.requestBody.content['application/json'].schema
    assert.deepEqual(body.required, ['user', 'items'])
    assert.equal(body.properties.items.items.properties.qty.minimum, 1)

    const seq = await kv<number>('seq/orders')
    const bad = await fetch(`${gateway}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ user: 'ada', items: [{ sku: 'tea', qty: 0 }] }),
    })
    const answer = (await bad.json()) as {
      error: { code: string; data: { issues: { path: string[] }[] } }
    }
    assert.equal(bad.status, 422)
    assert.equal(answer.error.code, 'VALIDATION')
    assert.deepEqual(answer.error.data.issues[0]?.path, ['items', '0', 'qty'])
    assert.equal(
      await kv<number>('seq/orders'),
      seq,
      'orders.place never ran: no order number taken',
    )
    const page = await fetch(`${gateway}/docs`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<code>\/api\/orders\/\{id\}<\/code>/)
  })

  it('answers a typed error for an unknown user, with a non-zero exit code and no stack', async () => {
    const { code, stderr } = await plexus([
      'call',
      'orders.place',
      '{"user":"nobody","items":[{"sku":"tea","qty":1}]}',
    ])
    assert.equal(code, 1)
    assert.match(stderr, /NOT_FOUND: No user 'nobody'/)
    assert.doesNotMatch(stderr, /\n\s+at /)
  })

  it('keeps serving when the payments process is SIGKILLed, and orders succeed after its restart', async () => {
    const { pid } = await call<{ pid: number }>('payments.info', {})
    assert.notEqual(
      pid,
      JSON.parse(readFileSync(runFile(), 'utf8')).pid,
      'payments runs in its own process',
    )
    process.kill(pid, 'SIGKILL')
    await until('payments to restart', async () => {
      const { stdout } = await plexus(['services', '--json'])
      const payments = (
        JSON.parse(stdout) as {
          services: { name: string; instances: { state: string; restarts: number }[] }[]
        }
      ).services.find((s) => s.name === 'payments')
      const instance = payments?.instances[0]
      return instance !== undefined && instance.restarts >= 1 && instance.state === 'running'
        ? true
        : undefined
    })
    const after1 = await call<Order>('orders.place', {
      user: 'grace',
      items: [{ sku: 'scones', qty: 1 }],
    })
    const after2 = await call<Order>('orders.place', {
      user: 'linus',
      items: [{ sku: 'butter', qty: 2 }],
    })
    assert.deepEqual([after1.status, after2.status], ['paid', 'paid'])
    assert.notEqual((await call<{ pid: number }>('payments.info', {})).pid, pid)
    assert.equal(await kv<number>('stock/butter'), 28)
  })
  it('needs a token to place an order, none to read the catalog and stock; its dev key file is 0600', async () => {
    const { gateway } = JSON.parse(readFileSync(runFile(), 'utf8')) as { gateway: string }
    const order = JSON.stringify({ user: 'ada', items: [{ sku: 'jam', qty: 1 }] })
    const post = (headers: Record<string, string>) =>
      fetch(`${gateway}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: order,
      })
    const seq = await kv<number>('seq/orders')
    const anonymous = await post({})
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer')
    const refused = (await anonymous.json()) as {
      error: { code: string; data: { reason: string } }
    }
    assert.deepEqual([refused.error.code, refused.error.data.reason], ['UNAUTHORIZED', 'missing'])
    const forged = await post({ authorization: `Bearer ${token.slice(0, -4)}AAAA` })
    assert.equal(forged.status, 401, 'a tampered token is refused')
    assert.equal(await kv<number>('seq/orders'), seq, 'no refused order reached orders.place')

    const placed = await post({ authorization: `Bearer ${token}` })
    assert.equal(placed.status, 201)
    assert.equal(((await placed.json()) as Order).status, 'paid')
    for (const path of ['/api/catalog', '/api/bestsellers', '/api/stock/tea']) {
      assert.equal((await fetch(`${gateway}${path}`)).status, 200, `${path} is public`)
    }
    assert.equal((await fetch(`${gateway}/api/orders`)).status, 401, 'the order list is not')

    const keyFile = join(dir, '.plexus', 'data', 'auth-dev-key.json')
    assert.equal(statSync(keyFile).mode & 0o777, 0o600)
    const { privateKey } = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      privateKey: { d: string }
    }
    assert.ok(!shop.output().includes(privateKey.d), 'the private key is never logged')
  })
})
