import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKernel, defineService, silentLogger, type Context } from '@plexus/kernel'
import { createGateway } from '@plexus/gateway'
import { until } from '@plexus/testing'
import { auth, principalOf } from '@plexus/auth'
import {
  hsWithPublicKey,
  noneToken,
  nowSeconds,
  rsaKey,
  serveJwks,
  sign,
  tamper,
  type JwksServer,
  type SigningKey,
} from './tokens.js'

const who = defineService({
  name: 'who',
  actions: { me: (ctx: Context) => ({ sub: principalOf(ctx)?.sub ?? null }) },
})

async function start(
  t: { after(fn: () => Promise<void>): void },
  jwks: JwksServer,
  maxAge?: number,
) {
  const security = auth({
    verifier: {
      jwksUrl: jwks.url,
      algorithms: ['RS256'],
      issuer: 'test-issuer',
      audience: 'test-aud',
      ...(maxAge === undefined ? {} : { maxAge, cooldown: maxAge }),
    },
  })
  const kernel = createKernel({ logger: silentLogger, plugins: [security] }).add(who)
  await kernel.start()
  const gateway = createGateway(kernel, {
    port: 0,
    routes: { 'GET /me': 'who.me' },
    auth: { verifier: security.verifier! },
  })
  const { port } = await gateway.listen()
  t.after(async () => {
    await gateway.close()
    await kernel.stop()
  })
  return async (token: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const body = (await res.json()) as {
      sub?: string
      error?: { code: string; data?: { reason?: string } }
    }
    return { status: res.status, body }
  }
}

/** ≥ 1,000 bad tokens of seven kinds, each with varied claims (times far outside the 5 s skew). */
async function badTokens(
  key: SigningKey,
  foreign: SigningKey,
): Promise<{ kind: string; token: string }[]> {
  const out: { kind: string; token: string }[] = []
  const now = nowSeconds()
  for (let i = 0; i < 150; i++) {
    const sub = `user-${i}`
    const valid = { sub, iss: 'test-issuer', aud: 'test-aud', exp: now + 300 }
    out.push({ kind: 'expired', token: await sign(key, { sub, exp: now - 120 - i * 37 }) })
    out.push({ kind: 'nbf', token: await sign(key, { sub, nbf: now + 120 + i * 41 }) })
    out.push({ kind: 'none', token: noneToken(valid) })
    out.push({
      kind: 'hs256-public-key',
      token: hsWithPublicKey(key, { ...valid, roles: ['admin'] }),
    })
    out.push({
      kind: i % 2 === 0 ? 'iss' : 'aud',
      token: await sign(
        key,
        i % 2 === 0 ? { sub, iss: `evil-${i}` } : { sub, aud: [`other-${i}`] },
      ),
    })
    out.push({ kind: 'tampered', token: tamper(await sign(key, { sub }), i * 13) })
    out.push({
      kind: 'unknown-kid',
      token: i % 2 === 0 ? await sign(foreign, { sub }) : await sign(key, { sub }, `kid-${i}`),
    })
  }
  return out
}

test('T22: 1,050 bad tokens through the gateway are all 401 UNAUTHORIZED, 0 accepted', async (t) => {
  const key = rsaKey('k1')
  const jwks = await serveJwks([key.jwk])
  t.after(() => jwks.close())
  const get = await start(t, jwks)
  const tokens = await badTokens(key, rsaKey('foreign'))
  assert.ok(tokens.length >= 1000)
  const outcomes = new Map<string, number>()
  let accepted = 0
  for (let i = 0; i < tokens.length; i += 25) {
    const batch = tokens.slice(i, i + 25)
    const answers = await Promise.all(batch.map(({ token }) => get(token)))
    answers.forEach((a, j) => {
      if (a.status === 200) accepted++
      const key = `${batch[j]!.kind} -> ${a.status} ${a.body.error?.code} ${a.body.error?.data?.reason}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
    })
  }
  assert.equal(accepted, 0)
  const wrong = [...outcomes].filter(([k]) => !k.includes('-> 401 UNAUTHORIZED'))
  assert.deepEqual(wrong, [], JSON.stringify([...outcomes]))
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0)
  assert.equal(total, tokens.length)
  // A valid token still passes, so the refusals are the tokens' fault, not the gateway's.
  assert.deepEqual(await get(await sign(key, { sub: 'good' })), {
    status: 200,
    body: { sub: 'good' },
  })
})

test('T22: a key rotated mid-run with old and new keys overlapping rejects 0 valid tokens', async (t) => {
  const old = rsaKey('old')
  const next = rsaKey('new')
  const jwks = await serveJwks([old.jwk])
  t.after(() => jwks.close())
  const get = await start(t, jwks, 100)
  let signer = old
  let sent = 0
  const rejected: string[] = []
  const bySigner = { old: 0, new: 0 }
  let running = true
  const load = (async () => {
    while (running) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const key = signer
          const answer = await get(await sign(key, { sub: `u-${sent + i}` }))
          return { key, answer }
        }),
      )
      for (const { key, answer } of batch) {
        sent++
        bySigner[key.kid as 'old' | 'new']++
        if (answer.status !== 200)
          rejected.push(`${key.kid}: ${answer.status} ${JSON.stringify(answer.body)}`)
      }
    }
  })()
  await until('load under the old key', () => (bySigner.old >= 200 ? true : undefined))
  // Rotation step 1: publish the new key beside the old one, and wait until the gateway fetched it.
  const fetched = jwks.fetches
  jwks.keys = [old.jwk, next.jwk]
  await until('the gateway refetched the key set', () =>
    jwks.fetches > fetched ? true : undefined,
  )
  // Step 2: sign with the new key while tokens signed with the old one are still in flight.
  signer = next
  await until('load under the new key', () => (bySigner.new >= 200 ? true : undefined))
  running = false
  await load
  assert.deepEqual(rejected, [])
  assert.ok(sent >= 400, `${sent} valid tokens sent`)
  // Step 3, once old tokens expired: retire the old key; its tokens are then refused.
  jwks.keys = [next.jwk]
  const late = await until('an old-key token is refused', async () => {
    const a = await get(await sign(old, { sub: 'late' }))
    return a.status === 401 ? a : undefined
  })
  assert.equal(late.body.error?.data?.reason, 'unknown-kid')
})
