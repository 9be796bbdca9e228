import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGateway } from '@plexus/gateway'
import { chromiumSkip, openDashboard } from '@plexus/testing'
import { send } from './helpers.js'
import { startMiniShop } from './fixtures/mini-shop.js'

// Page functions run in the browser; the repo's typecheck has no DOM lib, so name it here.
declare const document: any

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
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
      dashboard: {
        token: 'let-me-in',
        interval: 250,
        traceLinks: {
          trace: 'http://traces.test/trace/{traceId}',
          service: 'http://traces.test/search?service={service}',
        },
      },
    })
    const { port } = await gateway.listen()
    t.after(() => gateway.close())
    const base = `http://127.0.0.1:${port}`

    assert.equal((await send(`${base}/_plexus`)).status, 401, 'no token, no dashboard')

    const { page, handled } = await openDashboard(t, `${base}/_plexus?token=let-me-in`)
    const before = await handled()

    // Load: 8 concurrent clients placing orders until the page has seen enough of them; the
    // first one's requests arrive in a trace (a W3C traceparent from "upstream").
    let stop = false
    let placed = 0
    let declined = 0
    const clients = Array.from({ length: 8 }, async (_, c) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (c === 0) headers['traceparent'] = `00-${TRACE_ID}-00f067aa0ba902b7-01`
      for (let i = 0; !stop && i < 5_000; i++) {
        const res = await send(`${base}/api/orders`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ sku: `sku-${c}-${i % 9}` }),
        })
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
      // The orders time charts gain points as snapshots arrive while calls run.
      const points = () =>
        page.$eval('.chart[data-service="orders"] svg[data-metric="rate"]', (svg) =>
          Number(svg.dataset['points']),
        )
      const seen = await points()
      await page.waitForFunction(
        (from) => {
          const chart = document.querySelector('.chart[data-service="orders"]')
          const rate = chart?.querySelector('svg[data-metric="rate"]')
          const p99 = chart?.querySelector('svg[data-metric="p99"]')
          return (
            Number(rate?.dataset['points'] ?? 0) >= from + 3 &&
            Number(rate?.dataset['max'] ?? 0) > 0 &&
            Number(p99?.dataset['max'] ?? 0) > 0 &&
            rate?.querySelector('polyline') !== null
          )
        },
        seen,
        { timeout: 20_000 },
      )
      await page.waitForSelector(`#events a.trace[href="http://traces.test/trace/${TRACE_ID}"]`)
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
    const charted = await page.$$eval('#charts .chart', (els) =>
      els.map((e) => e.dataset['service']),
    )
    assert.deepEqual(new Set(charted), new Set(['catalog', 'orders', 'payments']))
    // Read in one go: a snapshot arriving between two reads would redraw the chart.
    const [vertices, drawn] = await page.$eval(
      '.chart[data-service="orders"] svg[data-metric="rate"]',
      (svg) => [
        svg.querySelector('polyline')?.getAttribute('points')?.split(' ').length ?? 0,
        Number(svg.dataset['points']),
      ],
    )
    assert.ok(drawn >= 3, `${drawn} points drawn`)
    assert.equal(vertices, drawn, 'one polyline vertex per snapshot point')
    const serviceLink = await page.$eval('.chart[data-service="orders"] a.trace', (a) =>
      a.getAttribute('href'),
    )
    assert.equal(serviceLink, 'http://traces.test/search?service=orders')
    const nodes = await page.$$eval('tr[data-instance] td.node', (tds) =>
      tds.map((td) => td.textContent),
    )
    assert.deepEqual(
      nodes,
      Array(5).fill(kernel.node),
      "the node column names each instance's node",
    )
    const errors = await page.evaluate(() =>
      Number(document.getElementById('errors')?.textContent?.replace(/,/g, '')),
    )
    assert.ok(errors > 0, 'declined payments show up as errors')
  },
)
