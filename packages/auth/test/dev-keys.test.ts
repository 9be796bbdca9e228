import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isPlexusError } from '@plexus/kernel'
import { createVerifier, devKeys, unverifiedClaims } from '@plexus/auth'

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-devkeys-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('dev keys are made once, owner-only, and sign tokens their own verifier options accept', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'data', 'keys.json')
  const keys = devKeys(file, { audience: 'shop' })
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700)
  const stored = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(stored.privateKey.crv, 'Ed25519')
  assert.equal(keys.publicJwk.d, undefined, 'the public JWK carries no private part')

  const token = await keys.sign({
    sub: 'ada',
    roles: ['customer'],
    scopes: ['orders:read', 'x'],
    tenant: 't1',
    ttl: 60,
  })
  const claims = unverifiedClaims(token)
  assert.deepEqual([claims.iss, claims.aud, claims.sub], ['plexus-dev', 'shop', 'ada'])
  assert.equal((claims.exp as number) - (claims.iat as number), 60)
  const principal = await createVerifier(keys.verifierOptions()).verify(token)
  assert.deepEqual(
    [principal.sub, principal.roles, principal.scopes, principal.tenant],
    ['ada', ['customer'], ['orders:read', 'x'], 't1'],
  )

  const again = devKeys(file, { audience: 'shop' })
  assert.equal(again.kid, keys.kid, 'the second start reads the same pair')
  assert.equal((await createVerifier(again.verifierOptions()).verify(token)).sub, 'ada')
})

test('a token from another dev key pair, or for another audience, is refused', async (t) => {
  const dir = await tempDir(t)
  const mine = devKeys(join(dir, 'a.json'), { audience: 'shop' })
  const other = devKeys(join(dir, 'b.json'), { audience: 'shop' })
  const verifier = createVerifier(mine.verifierOptions())
  const reasons = []
  for (const token of [
    await other.sign({ sub: 'eve' }),
    await devKeys(join(dir, 'a.json'), { audience: 'elsewhere' }).sign({ sub: 'eve' }),
  ]) {
    const error = await verifier.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.ok(isPlexusError(error, 'UNAUTHORIZED'), String(error))
    reasons.push((error.data as { reason: string }).reason)
  }
  assert.deepEqual(reasons, ['unknown-kid', 'claim:aud'])
})

test('a key file others can read, or one that is not a key file, is refused with INVALID_CONFIG', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'keys.json')
  devKeys(file)
  chmodSync(file, 0o644)
  assert.throws(
    () => devKeys(file),
    (e: unknown) =>
      isPlexusError(e, 'INVALID_CONFIG') && /readable by others \(mode 644\)/.test(e.message),
  )
  const junk = join(dir, 'junk.json')
  writeFileSync(junk, '{"kid":"x"}', { mode: 0o600 })
  assert.throws(
    () => devKeys(junk),
    (e: unknown) => isPlexusError(e, 'INVALID_CONFIG') && /is not a dev key file/.test(e.message),
  )
  const absent = join(dir, 'absent.json')
  assert.throws(
    () => devKeys(absent, { create: false }),
    (e: unknown) => isPlexusError(e, 'UNAVAILABLE'),
  )
  assert.equal(existsSync(absent), false, 'create: false makes nothing')
})
