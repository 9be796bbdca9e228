import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PlexusError } from '@plexus/kernel'
import { rejectionOf } from '@plexus/testing'
import { createVerifier, isMinted } from '@plexus/auth'
import {
  hsWithPublicKey,
  noneToken,
  nowSeconds,
  rsaKey,
  serveJwks,
  sign,
  tamper,
  testVerifier,
} from './tokens.js'

const key = rsaKey('k1')
const base = { algorithms: ['RS256'], issuer: 'test-issuer', audience: 'test-aud' } as const

async function reasonOf(promise: Promise<unknown>): Promise<[string, unknown]> {
  const error = await rejectionOf(promise)
  assert.ok(error instanceof PlexusError, String(error))
  return [error.code, (error.data as { reason?: unknown } | undefined)?.reason]
}

test('a valid token yields a minted principal with roles, scopes and tenant', async () => {
  const verifier = createVerifier({ keys: [key.jwk], ...base })
  const token = await sign(key, {
    roles: ['admin'],
    scope: 'orders:read orders:write',
    tenant: 't1',
  })
  const principal = await verifier.verify(token)
  assert.equal(principal.sub, 'user-1')
  assert.deepEqual(principal.roles, ['admin'])
  assert.deepEqual(principal.scopes, ['orders:read', 'orders:write'])
  assert.equal(principal.tenant, 't1')
  assert.equal(principal.iss, 'test-issuer')
  assert.ok(isMinted(principal))
  assert.ok(!isMinted({ ...principal }), 'a copy is not the auth layer’s own')
})

test('each kind of bad token is UNAUTHORIZED with its reason', async () => {
  const verifier = createVerifier({ keys: [key.jwk], ...base })
  const now = nowSeconds()
  const valid = { sub: 'u', iss: 'test-issuer', aud: 'test-aud', exp: now + 60 }
  const cases: [string, Promise<string> | string][] = [
    ['expired', sign(key, { exp: now - 60 })],
    ['not-yet-valid', sign(key, { nbf: now + 60 })],
    ['alg', noneToken(valid)],
    ['alg', hsWithPublicKey(key, valid)],
    ['claim:iss', sign(key, { iss: 'someone-else' })],
    ['claim:aud', sign(key, { aud: 'other' })],
    ['unknown-kid', sign(key, {}, 'k-unknown')],
    ['signature', sign(key).then((t) => tamper(t, 7))],
    ['malformed', 'not.a.token'],
    ['malformed', 'garbage'],
    ['missing', ''],
    ['claim:sub', sign(key, { sub: undefined } as unknown as { sub: string })],
  ]
  for (const [reason, token] of cases) {
    assert.deepEqual(await reasonOf(verifier.verify(await token)), ['UNAUTHORIZED', reason], reason)
  }
})

test('clock skew within the tolerance is accepted, beyond it refused', async () => {
  const verifier = createVerifier({ keys: [key.jwk], ...base, clockTolerance: 30 })
  const now = nowSeconds()
  assert.equal((await verifier.verify(await sign(key, { exp: now - 10 }))).sub, 'user-1')
  assert.equal((await verifier.verify(await sign(key, { nbf: now + 10 }))).sub, 'user-1')
  assert.deepEqual(await reasonOf(verifier.verify(await sign(key, { exp: now - 60 }))), [
    'UNAUTHORIZED',
    'expired',
  ])
})

test('a verified token is cached until it expires, and the cache is bounded', async () => {
  let now = Date.now()
  const verifier = createVerifier({
    keys: [key.jwk],
    ...base,
    clockTolerance: 0,
    cacheSize: 2,
    clock: { now: () => now },
  })
  const t1 = await sign(key, { exp: Math.floor(now / 1000) + 10 })
  const first = await verifier.verify(t1)
  assert.equal(await verifier.verify(t1), first, 'the second verification is the cached principal')
  assert.equal(verifier.cached, 1)
  await verifier.verify(await sign(key, { sub: 'b' }))
  await verifier.verify(await sign(key, { sub: 'c' }))
  assert.equal(verifier.cached, 2)
  now += 11_000
  assert.deepEqual(await reasonOf(verifier.verify(t1)), ['UNAUTHORIZED', 'expired'])
})

test('cachedPrincipal knows a token verified before, without a promise, until it expires', async () => {
  let now = Date.now()
  const verifier = testVerifier(key, { now: () => now })
  const token = await sign(key, { exp: Math.floor(now / 1000) + 10 })
  assert.equal(verifier.cachedPrincipal(token), undefined, 'never verified: unknown')
  const principal = await verifier.verify(token)
  assert.equal(verifier.cachedPrincipal(token), principal)
  assert.equal(
    verifier.cachedPrincipal(tamper(token, 3)),
    undefined,
    'another text is another token',
  )
  now += 11_000
  assert.equal(verifier.cachedPrincipal(token), undefined, 'expired: unknown again')
})

test('a kept cache entry stops being current when the cache is cleared or its token expires', async () => {
  let now = Date.now()
  const verifier = testVerifier(key, { now: () => now })
  const token = await sign(key, { exp: Math.floor(now / 1000) + 10 })
  await verifier.verify(token)
  const kept = verifier.cachedToken(token)!
  assert.equal(kept.current(), true)
  verifier.clearCache()
  assert.equal(kept.current(), false, 'cleared: what was kept ends too')
  await verifier.verify(token)
  const again = verifier.cachedToken(token)!
  assert.notEqual(again, kept)
  now += 11_000
  assert.equal(again.current(), false, 'expired')
  assert.equal(kept.current(), false, 'ended for good')
})

test('configurations that allow none, HS with public keys or secrets are refused', () => {
  for (const algorithms of [['none'], ['HS256'], ['RS256', 'HS512'], []]) {
    assert.throws(() => createVerifier({ keys: [key.jwk], algorithms }), { code: 'INVALID_CONFIG' })
  }
  assert.throws(() => createVerifier({ keys: [key.privateKey], algorithms: ['RS256'] }), {
    code: 'INVALID_CONFIG',
  })
  assert.throws(
    () => createVerifier({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }], algorithms: ['RS256'] }),
    {
      code: 'INVALID_CONFIG',
    },
  )
})

test('a JWKS URL is fetched once, refetched for an unknown kid after the cooldown', async () => {
  const jwks = await serveJwks([key.jwk])
  try {
    const verifier = createVerifier({ jwksUrl: jwks.url, ...base, cooldown: 0, cacheSize: 0 })
    await verifier.verify(await sign(key))
    await verifier.verify(await sign(key, { sub: 'x' }))
    assert.equal(jwks.fetches, 1)
    const next = rsaKey('k2')
    jwks.keys = [key.jwk, next.jwk]
    assert.equal((await verifier.verify(await sign(next))).sub, 'user-1')
    assert.equal(jwks.fetches, 2)
    assert.deepEqual(await reasonOf(verifier.verify(await sign(rsaKey('k3')))), [
      'UNAUTHORIZED',
      'unknown-kid',
    ])
  } finally {
    await jwks.close()
  }
})

test('a JWKS that does not answer in time is UNAVAILABLE and retryable', async () => {
  const held: import('node:http').ServerResponse[] = []
  const server = createServer((_req, res) => void held.push(res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const verifier = createVerifier({
      jwksUrl: `http://127.0.0.1:${port}/jwks`,
      ...base,
      timeout: 100,
    })
    const error = await rejectionOf(verifier.verify(await sign(key)))
    assert.ok(error instanceof PlexusError)
    assert.equal(error.code, 'UNAVAILABLE')
    assert.equal(error.retryable, true)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  const refused = createVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks`, ...base })
  assert.equal(
    ((await rejectionOf(refused.verify(await sign(key)))) as PlexusError).code,
    'UNAVAILABLE',
  )
})
