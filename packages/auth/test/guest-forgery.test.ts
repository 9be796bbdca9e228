import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKernel, defineService, silentLogger, type Context } from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import { until } from '@plexus/testing'
import { auth, createVerifier, principalOf, PRINCIPAL_KEY } from '@plexus/auth'
import forger from './fixtures/forger.js'
import { rsaKey, sign } from './tokens.js'

const key = rsaKey('k1')
const verifier = createVerifier({ keys: [key.jwk], algorithms: ['RS256'] })

for (const placement of ['worker', 'process'] as const) {
  test(`a ${placement} guest cannot claim a principal on its calls and events`, async (t) => {
    const seen: (string | null)[] = []
    const target = defineService({
      name: 'target',
      actions: { who: (ctx: Context) => principalOf(ctx)?.sub ?? null },
      events: { 'forged.*': (ctx: Context) => void seen.push(principalOf(ctx)?.sub ?? null) },
    })
    const kernel = installIsolation(
      createKernel({ logger: silentLogger, plugins: [auth({ verifier })] }),
    )
    kernel
      .add(target)
      .add(forger, { placement, module: new URL('./fixtures/forger.ts', import.meta.url).href })
    await kernel.start()
    t.after(() => kernel.stop())
    assert.equal(await kernel.call('forger.call', {}), null)
    const principal = await verifier.verify(await sign(key, { sub: 'erin' }))
    assert.equal(
      await kernel.call('forger.call', {}, { meta: { [PRINCIPAL_KEY]: principal } }),
      'erin',
    )
    await kernel.call('forger.emit', {})
    await kernel.call('forger.emit', {}, { meta: { [PRINCIPAL_KEY]: principal } })
    await until('both events handled', () => (seen.length === 2 ? true : undefined))
    assert.deepEqual(seen.sort(), ['erin', null].sort())
  })
}
