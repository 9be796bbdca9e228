import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createKernel, defineService, silentLogger, type Context } from '@plexus/kernel'
import { nats } from '@plexus/nats'
import { serverSkip, startNatsServer, until } from '@plexus/testing'
import { auth, isMinted, principalOf, PRINCIPAL_KEY } from '@plexus/auth'
import { rsaKey, sign, testVerifier } from './tokens.js'

const key = rsaKey('k1')
const verifier = testVerifier(key)

// The serving node's own rule: only tellers may ask the vault who they are.
const POLICIES = { actions: { 'vault.who': { roles: ['teller'] } } }

const vault = defineService({
  name: 'vault',
  actions: {
    who: (ctx: Context) => {
      const principal = principalOf(ctx)
      return { sub: principal?.sub, roles: principal?.roles, tenant: principal?.tenant }
    },
  },
})

/**
 * Node `a` (edge: verifies tokens, no policies) and node `b` (runs `vault` under its own
 * policies), linked with link security; `b` re-trusts a's principals only when `trusted`.
 */
async function twoNodes(t: TestContext, trusted: boolean) {
  const [ka, kb] = [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')]
  const trustedKeys = [
    { key: ka.publicKey, node: 'a' },
    { key: kb.publicKey, node: 'b' },
  ]
  const stops: (() => Promise<void>)[] = []
  t.after(async () => {
    for (const stop of stops.reverse()) await stop()
  })
  const server = await startNatsServer(t)
  const link = { servers: server.url, namespace: 'peers', trustedKeys }
  const guard = auth({ policies: POLICIES })
  const b = createKernel({
    node: 'b',
    logger: silentLogger,
    plugins: [
      guard,
      nats({ ...link, identity: kb.privateKey, ...(trusted ? { trust: guard.peers } : {}) }),
    ],
  }).add(vault)
  await b.start()
  stops.push(() => b.stop())
  const a = createKernel({
    node: 'a',
    logger: silentLogger,
    plugins: [auth({ verifier }), nats({ ...link, identity: ka.privateKey })],
  })
  await a.start()
  stops.push(() => a.stop())
  await until('vault on b attached at a', () => (a.describe('vault.who') ? true : undefined))
  const as = async (claims: Record<string, unknown>) => ({
    meta: { [PRINCIPAL_KEY]: await verifier.verify(await sign(key, claims)) },
  })
  return { a, as }
}

test(
  "a caller's principal crosses a proven node link and meets the serving node's own policies",
  { skip: serverSkip('nats-server', 'nats-server') },
  async (t) => {
    const { a, as } = await twoNodes(t, true)
    assert.deepEqual(
      await a.call('vault.who', {}, await as({ sub: 'tina', roles: ['teller'], tenant: 't1' })),
      { sub: 'tina', roles: ['teller'], tenant: 't1' },
    )
    await assert.rejects(a.call('vault.who', {}, await as({ sub: 'gus', roles: ['guest'] })), {
      code: 'FORBIDDEN',
    })
    await assert.rejects(a.call('vault.who', {}), { code: 'UNAUTHORIZED' }, 'no principal')
    const forged = { sub: 'mallory', roles: ['teller'], scopes: [], claims: {} }
    await assert.rejects(
      a.call('vault.who', {}, { meta: { [PRINCIPAL_KEY]: forged } }),
      { code: 'UNAUTHORIZED' },
      'a principal written at the calling node is dropped there, so the peer asserts none',
    )
  },
)

test(
  "without nats({ trust }) a peer's principal is dropped: the serving node sees an anonymous caller",
  { skip: serverSkip('nats-server', 'nats-server') },
  async (t) => {
    const { a, as } = await twoNodes(t, false)
    await assert.rejects(a.call('vault.who', {}, await as({ sub: 'tina', roles: ['teller'] })), {
      code: 'UNAUTHORIZED',
    })
  },
)

test('nats({ trust }) without link security is refused as INVALID_CONFIG', () => {
  assert.throws(() => nats({ servers: 'nats://127.0.0.1:4222', trust: auth().peers }), {
    code: 'INVALID_CONFIG',
  })
})

test("peers.admit mints a well-formed principal's copy and drops a malformed one", () => {
  const { peers } = auth()
  const good = { sub: 'tina', roles: ['teller'], scopes: ['read'], claims: { exp: 1 } }
  const admitted = peers.admit({ [PRINCIPAL_KEY]: { ...good }, other: 1 })
  assert.ok(isMinted(admitted[PRINCIPAL_KEY]))
  assert.equal((admitted[PRINCIPAL_KEY] as { sub: string }).sub, 'tina')
  assert.equal(admitted['other'], 1)
  for (const bad of [
    { ...good, sub: '' },
    { ...good, sub: 7 },
    { ...good, roles: 'teller' },
    { ...good, roles: [1] },
    { ...good, scopes: undefined },
    { ...good, claims: [] },
    { ...good, tenant: {} },
    { ...good, sub: 'x'.repeat(2000) },
    'tina',
    null,
  ]) {
    const meta = peers.admit({ [PRINCIPAL_KEY]: bad })
    assert.equal(PRINCIPAL_KEY in meta, false, JSON.stringify(bad).slice(0, 60))
  }
})

test("a peer's repeated principal is minted once and frozen through", () => {
  const { peers } = auth()
  const copy = () => ({ sub: 'tina', roles: ['teller'], scopes: [], claims: { groups: ['a'] } })
  const first = peers.admit({ [PRINCIPAL_KEY]: copy() })[PRINCIPAL_KEY] as any
  const again = peers.admit({ [PRINCIPAL_KEY]: copy() })[PRINCIPAL_KEY] as any
  assert.equal(again, first, 'an equal copy reuses the principal')
  assert.ok(Object.isFrozen(first.roles) && Object.isFrozen(first.claims.groups))
  const changed = { ...copy(), roles: ['teller', 'admin'] }
  const other = peers.admit({ [PRINCIPAL_KEY]: changed })[PRINCIPAL_KEY] as any
  assert.notEqual(other, first, 'a different copy of the same subject is minted anew')
  assert.deepEqual(other.roles, ['teller', 'admin'])
})
