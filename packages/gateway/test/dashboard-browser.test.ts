import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGateway } from '@plexus/gateway'
import { chromiumSkip, openDashboard } from '@plexus/testing'
import { send, sendJson } from './helpers.js'
import { startMiniShop } from './fixtures/mini-shop.js'

// Page functions run in the browser; the repo's typecheck has no DOM lib, so name it here.
declare const document: any

const OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url))

test(
  'the dashboard shows the running shop and its figures change live while load runs',
  { skip: chromiumSkip() },
  async (t) => {
    const { kernel, routes } = await startMiniShop()
    t.after(() => kernel.stop())
    const gateway = createGateway(kernel, {
      port: 0,
      routes,
      dashboard: { token: 'let-me-in', interval: 250 },
    })
    const { port } = await gateway.listen()
    t.after(() => gateway.close())
    const base = `http://127.0.0.1:${port}`

    assert.equal((await send(`${base}/_plexus`)).status, 401, 'no token, no dashboard')

    const { page, handled } = await openDashboard(t, `${base}/_plexus?token=let-me-in`)
    const before = await handled()

    // Load: 8 concurrent clients placing orders until the page has seen enough of them.
    let stop = false
    let placed = 0
    let declined = 0
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop && i < 5_000; i++) {
        const res = await sendJson(`${base}/api/orders`, 'POST', { sku: `sku-${c}-${i % 9}` })
        if (res.status === 201) placed++
        else if (res.status === 403) declined++
        else throw new Error(`unexpected ${res.status}: ${res.text}`)
      }
    })
    try {
      await page.waitForFunction(
        (from) => {
          const total = Number(document.getElementById('total-count')?.dataset['value'] ?? 0)
          const rate = Number(
            document.getElementById('svc-rate')?.textContent?.replace(/,/g, '') ?? 0,
          )
          const events = document.getElementById('events')?.textContent ?? ''
          return total >= from + 800 && rate > 0 && events.includes('orders.created')
        },
        before,
        { timeout: 20_000 },
      )
      const mid = await handled()
      await page.waitForFunction((from) => {
        const v = Number(document.getElementById('total-count')?.dataset['value'] ?? 0)
        return v > from
      }, mid)
      mkdirSync(OUTPUT, { recursive: true })
      await page.screenshot({ path: join(OUTPUT, 'gateway-dashboard.png'), fullPage: true })
    } finally {
      stop = true
      await Promise.all(clients)
    }
    const after = await handled()
    assert.ok(after > before, `handled count moved from ${before} to ${after}`)
    assert.ok(placed > 0 && declined > 0, `placed ${placed}, declined ${declined}`)

    const rows = await page.$$eval('tr[data-service]', (trs) =>
      trs.map((tr) => tr.dataset['service']),
    )
    assert.deepEqual(new Set(rows), new Set(['catalog', 'orders', 'payments']))
    const instances = await page.$$eval('tr[data-instance] .state', (els) =>
      els.map((e) => e.textContent),
    )
    assert.equal(instances.length, 5)
    assert.ok(instances.every((s) => s === 'running'))
    const errors = await page.evaluate(() =>
      Number(document.getElementById('errors')?.textContent?.replace(/,/g, '')),
    )
    assert.ok(errors > 0, 'declined payments show up as errors')
  },
)
