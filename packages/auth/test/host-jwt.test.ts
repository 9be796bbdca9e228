import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  createKernel,
  defineService,
  silentLogger,
  type Logger,
  type PlexusError,
} from '@plexus/kernel'
import { remote, runHost, SERVICES_CLAIM } from '@plexus/remote'
import { until } from '@plexus/testing'
import { nowSeconds, rsaKey, sign, testVerifier } from './tokens.js'

const key = rsaKey('k1')
const verifier = testVerifier(key)
const pay = defineService({ name: 'pay', actions: { charge: (_ctx, n: number) => n * 2 } })

/** A logger that keeps why the kernel refused the host (the host logs it as an error). */
function refusals(): { logger: Logger; seen: string[][] } {
  const seen: string[][] = []
  const logger: Logger = {
    ...silentLogger,
    error: (fields) => {
      const err = (fields as { err?: PlexusError }).err
      if (err?.code !== undefined) {
        seen.push([err.code, String((err.data as { reason?: unknown } | undefined)?.reason)])
      }
    },
    child: () => logger,
  }
  return { logger, seen }
}

async function kernelWithJwtHosts(t: { after(fn: () => Promise<void>): void }) {
  const links = remote({ tcp: 'tcp://127.0.0.1:0', ws: 'ws://127.0.0.1:0/link', verifier })
  const kernel = createKernel({ logger: silentLogger, plugins: [links] })
  await kernel.start()
  t.after(() => kernel.stop())
  return { kernel, links }
}

test('a host dialling in with a JWT whose plexus.services claim names its service is attached, over TCP and WebSocket', async (t) => {
  const { kernel, links } = await kernelWithJwtHosts(t)
  const token = await sign(key, { sub: 'pay-host', [SERVICES_CLAIM]: ['pay'] })
  for (const connect of [links.addresses.tcp!, links.addresses.ws!]) {
    const host = runHost(pay, { connect, token, logger: silentLogger })
    await until('pay attached', () => (kernel.describe('pay.charge') ? true : undefined))
    assert.equal(await kernel.call('pay.charge', 21), 42)
    await host.stop()
    await until('pay detached', () => (kernel.describe('pay.charge') ? undefined : true))
  }
})

test('a host whose JWT is bad, expired, lacks the claim or names other services is refused, nothing attached', async (t) => {
  const { kernel, links } = await kernelWithJwtHosts(t)
  const cases: [string, Promise<string> | string, string[]][] = [
    ['no token at all', '', ['UNAUTHORIZED', 'bad-token']],
    ['garbage', 'not-a-jwt', ['UNAUTHORIZED', 'malformed']],
    [
      'expired',
      sign(key, { [SERVICES_CLAIM]: ['pay'], exp: nowSeconds() - 60 }),
      ['UNAUTHORIZED', 'expired'],
    ],
    ['no claim', sign(key, {}), ['FORBIDDEN', 'no-services-claim']],
    [
      'other services',
      sign(key, { [SERVICES_CLAIM]: ['orders'] }),
      ['FORBIDDEN', 'service-not-allowed'],
    ],
  ]
  for (const [what, token, want] of cases) {
    const { logger, seen } = refusals()
    const host = runHost(pay, {
      connect: links.addresses.tcp!,
      token: await token,
      logger,
      reconnect: { min: 60_000, max: 60_000 },
    })
    await until(`the refusal of ${what}`, () => (seen.length > 0 ? true : undefined))
    assert.deepEqual(seen[0], want, what)
    assert.equal(kernel.describe('pay.charge'), undefined, what)
    await host.stop()
  }
  await until('no link left', () => (links.links === 0 ? true : undefined))
})

test('remote() needs a token of 8 characters or more, or a verifier', () => {
  assert.throws(() => remote({ tcp: 'tcp://127.0.0.1:0' }), { code: 'INVALID_CONFIG' })
  assert.throws(() => remote({ tcp: 'tcp://127.0.0.1:0', token: 'short', verifier }), {
    code: 'INVALID_CONFIG',
  })
})
