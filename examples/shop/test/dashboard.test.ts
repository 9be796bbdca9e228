// The dashboard against the real shop, started as a user starts it (`plexus start`), in
// Debian's Chromium: refused without a token (the shop runs with auth on), live with one, its
// figures changing while orders flow through the gateway.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromiumSkip, openDashboard, startPlexus, until, userEnv } from '@plexus/testing'
import { shopToken } from './running-shop.js'

// Page functions run in the browser; the repo's typecheck has no DOM lib.
declare const document: any

const config = fileURLToPath(new URL('../plexus.config.ts', import.meta.url))
const OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url))

test(
  'the dashboard of the running shop needs a token, and with one shows its services and live figures while orders flow',
  // Generous: the shop, a token from the CLI and Chromium all start slowly on a loaded machine.
  { skip: chromiumSkip(), timeout: 240_000 },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'plexus-shop-ui-'))
    // Quiet: nothing of the shop's may keep the test runner alive.
    const env = userEnv({ PORT: '0' })
    const shop = startPlexus(['start', config, '--json'], { cwd: dir, env, quiet: true })
    t.after(async () => {
      // SIGTERM lets the launcher stop the kernel it runs (and its workers and children).
      await shop.stop()
      await rm(dir, { recursive: true, force: true })
    })
    const runFile = join(dir, '.plexus', 'admin.json')
    await until('the shop to start', () => (existsSync(runFile) ? true : undefined), {
      ms: 60_000, // generous: the shop's workers and child process start slowly on a loaded machine
    })
    const { gateway } = JSON.parse(readFileSync(runFile, 'utf8')) as { gateway: string }
    const token = await shopToken(dir, env, 'operator')
    for (const path of ['/_plexus', '/_plexus/snapshot', '/_plexus?access_token=not.a.token']) {
      const refused = await fetch(`${gateway}${path}`)
      assert.equal(refused.status, 401, `${path} without a valid token`)
      assert.equal(
        ((await refused.json()) as { error: { code: string } }).error.code,
        'UNAUTHORIZED',
      )
    }

    const { page, handled } = await openDashboard(t, `${gateway}/_plexus?access_token=${token}`)
    const before = await handled()

    let stop = false
    let placed = 0
    const users = ['ada', 'grace', 'linus']
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; !stop && i < 2_000; i++) {
        const res = await fetch(`${gateway}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ user: users[(c + i) % 3], items: [{ sku: 'tea', qty: 1 }] }),
        })
        await res.arrayBuffer()
        if (res.status === 201) placed++
      }
    })
    try {
      await page.waitForFunction(
        (from) => {
          const total = Number(document.getElementById('total-count')?.dataset['value'] ?? 0)
          const events = document.getElementById('events')?.textContent ?? ''
          return total >= from + 200 && events.includes('orders.created')
        },
        before,
        { timeout: 30_000 },
      )
      mkdirSync(OUTPUT, { recursive: true })
      await page.screenshot({ path: join(OUTPUT, 'shop-dashboard.png'), fullPage: true })
    } finally {
      stop = true
      await Promise.all(clients)
    }
    assert.ok(placed > 0, `${placed} orders placed`)
    assert.ok((await handled()) > before)
    const rows = new Set(
      await page.$$eval('tr[data-service]', (trs) => trs.map((tr) => tr.dataset['service'])),
    )
    for (const name of ['users', 'catalog', 'inventory', 'orders', 'payments', 'kv']) {
      assert.ok(rows.has(name), `dashboard lists ${name}`)
    }
    const placements = await page.$$eval('tr[data-instance]', (trs) =>
      trs.map((tr) => tr.textContent ?? ''),
    )
    assert.ok(
      placements.some((text) => text.includes('worker')),
      'orders shown in worker threads',
    )
    assert.ok(
      placements.some((text) => text.includes('process')),
      'payments shown in a child process',
    )
    // In the browser too: the live socket and the page itself refuse a visitor without a token.
    const socket = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new (globalThis as any).WebSocket(url)
          ws.onopen = () => resolve('open')
          ws.onerror = () => resolve('refused')
        }),
      `${gateway.replace('http', 'ws')}/_plexus/live`,
    )
    assert.equal(socket, 'refused')
    const anonymous = await page.goto(`${gateway}/_plexus`)
    assert.equal(anonymous?.status(), 401)
    assert.match(await page.content(), /UNAUTHORIZED/)
  },
)
