// The shop's graceful stop, as an operator sees it: requests in flight when SIGTERM arrives,
// readiness turning false before they finish, new requests refused, every accepted one answered.
// Payments are held by a file the test creates, so nothing here depends on timing.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startPlexus, until, userEnv } from '@plexus/testing'
import { shopToken } from './running-shop.js'

const config = fileURLToPath(new URL('../plexus.config.ts', import.meta.url))
const N = 6

describe('the shop on SIGTERM', { timeout: 180_000 }, () => {
  it('turns /readyz 503 before the requests in flight finish, refuses new ones, answers every accepted one 2xx, exits 0', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'plexus-shutdown-'))
    const release = join(dir, 'release-payments')
    const env = userEnv({
      PORT: '0',
      SHOP_PAYMENT_HOLD_FILE: release,
      // Held calls must outlive the waits below on a busy machine; the drain must too.
      PLEXUS_KERNEL__DEADLINE: '120000',
      PLEXUS_KERNEL__DRAIN_TIMEOUT: '120000',
    })
    const shop = startPlexus(['start', config, '--json'], { cwd: dir, env })
    t.after(async () => {
      // Released and SIGTERMed (the launcher passes SIGTERM on; a SIGKILL would orphan the kernel).
      await writeFile(release, '')
      await shop.stop()
      await rm(dir, { recursive: true, force: true })
    })
    const context = { ms: 60_000, context: () => shop.output() }
    const runFile = join(dir, '.plexus', 'admin.json')
    await until('the run file', () => (existsSync(runFile) ? true : undefined), context)
    const { gateway } = JSON.parse(readFileSync(runFile, 'utf8')) as { gateway: string }
    // Orders need a token (the shop runs with auth on).
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${await shopToken(dir, env)}`,
    }

    const settled: number[] = []
    const orders = Array.from({ length: N }, (_, i) =>
      fetch(`${gateway}/api/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ user: 'ada', items: [{ sku: 'tea', qty: 1 }] }),
      }).then(async (r) => {
        settled.push(i)
        return { status: r.status, body: (await r.json()) as { status?: string } }
      }),
    )
    await until(
      `${N} payments in flight`,
      async () => {
        const text = await (await fetch(`${gateway}/metrics`)).text()
        const inFlight = text
          .split('\n')
          .filter((l) => l.startsWith('plexus_messages_in_flight{service="payments"'))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
        return inFlight === N ? true : undefined
      },
      context,
    )

    shop.child.kill('SIGTERM')
    const notReady = await until(
      '/readyz to answer 503',
      async () => {
        const response = await fetch(`${gateway}/readyz`)
        return response.status === 503
          ? ((await response.json()) as { reasons: string[] })
          : undefined
      },
      context,
    )
    assert.deepEqual(settled, [], 'readiness turned false while every request was in flight')
    assert.deepEqual(notReady.reasons, ['the gateway is draining'])
    const late = await fetch(`${gateway}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ user: 'ada', items: [{ sku: 'tea', qty: 1 }] }),
    })
    assert.equal(late.status, 503)
    assert.equal(((await late.json()) as { error: { code: string } }).error.code, 'UNAVAILABLE')
    assert.equal(shop.child.exitCode, null, 'still draining')

    await writeFile(release, '')
    const answers = await Promise.all(orders)
    assert.deepEqual(
      answers.map((a) => [a.status, a.body.status]),
      Array.from({ length: N }, () => [201, 'paid']),
      JSON.stringify(answers),
    )
    assert.equal(await shop.exited, 0)
    assert.match(shop.output(), /"msg":"Stopped"/)
    assert.equal(existsSync(runFile), false, 'the run file is removed on stop')
  })
})
