// The dashboard and the admin endpoint of a kernel with an `auth` section: behind the verifier
// under `plexus start` (the admin token, or an operator's token), open under `plexus dev`.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { unverifiedClaims } from '@plexus/auth'
import { boot, loadConfig, type Running } from '@plexus/cli'
import { silentLogger } from '@plexus/kernel'
import { runPlexus, startPlexus, until, userEnv } from '@plexus/testing'

// No imports, so the module loads from a temporary directory; it answers who called.
const whoami = `export default {
  name: 'whoami',
  actions: { who: (ctx) => ctx.meta['plexus.principal']?.sub ?? null },
}
`
const CONFIG = {
  name: 'ops',
  gateway: { port: 0, dashboard: true, routes: { 'GET /who': 'whoami.who' } },
  auth: {
    dev: { keyFile: 'keys/dev.json' },
    operators: { roles: ['ops'] },
    public: ['GET /who'],
  },
  services: { whoami: { module: './whoami.ts' } },
}

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plexus-ops-'))
  await writeFile(join(dir, 'whoami.ts'), whoami)
  await writeFile(join(dir, 'ops.json'), JSON.stringify(CONFIG))
})
after(() => rm(dir, { recursive: true, force: true }))

async function started(dev: boolean): Promise<{ running: Running; ops: string; user: string }> {
  const config = await loadConfig('ops.json', { cwd: dir, env: {} })
  assert.ok(config.auth !== false && config.auth.dev !== undefined)
  const keys = config.auth.dev
  const running = await boot(config, silentLogger, { dev })
  return {
    running,
    ops: await keys.sign({ sub: 'olga', roles: ['ops'] }),
    user: await keys.sign({ sub: 'ursula', roles: ['customer'] }),
  }
}

/** One HTTP request; `upgrade` asks for a WebSocket and answers 101 when it is accepted. */
function send(
  url: string,
  options: { token?: string; method?: string; body?: unknown; upgrade?: boolean } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.upgrade === true) {
    Object.assign(headers, {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
    })
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false })
    req.once('upgrade', (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, json: undefined })
    })
    req.once('response', (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = text
        }
        resolve({ status: res.statusCode ?? 0, json })
      })
    })
    req.once('error', reject)
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body))
  })
}

describe('plexus start with an auth section', () => {
  it('refuses the dashboard, its snapshot and its live socket without a token; lets in the admin token and operators, not other users', async (t) => {
    const { running, ops, user } = await started(false)
    t.after(() => running.stop())
    const base = `${running.gatewayUrl}/_plexus`
    const admin = running.admin!.token
    const page = await send(base)
    assert.equal(page.status, 401)
    assert.equal(page.json.error.code, 'UNAUTHORIZED')
    assert.equal((await send(`${base}/snapshot`)).status, 401)
    assert.equal((await send(`${base}/live`, { upgrade: true })).status, 401)
    assert.equal((await send(`${base}?access_token=not.a.token`)).status, 401)

    const customer = await send(`${base}?access_token=${user}`)
    assert.equal(customer.status, 403, 'a verified token the operators rule does not allow')
    assert.equal(customer.json.error.code, 'FORBIDDEN')
    assert.equal((await send(`${base}/live?access_token=${user}`, { upgrade: true })).status, 403)

    assert.equal((await send(`${base}?access_token=${ops}`)).status, 200)
    assert.equal((await send(`${base}?token=${admin}`)).status, 200, 'the admin token')
    const snapshot = await send(`${base}/snapshot`, { token: ops })
    assert.equal(snapshot.status, 200)
    assert.deepEqual(
      snapshot.json.services.map((s: { name: string }) => s.name),
      ['whoami'],
    )
    assert.equal((await send(`${base}/live?access_token=${ops}`, { upgrade: true })).status, 101)
    assert.equal((await send(`${base}/live?token=${admin}`, { upgrade: true })).status, 101)
    // The API routes keep their own rule: this one is public.
    assert.equal((await send(`${running.gatewayUrl}/who`)).status, 200)
  })

  it("accepts an operator's token on the admin endpoint, and its calls carry that principal", async (t) => {
    const { running, ops, user } = await started(false)
    t.after(() => running.stop())
    const base = `http://127.0.0.1:${running.admin!.port}`
    const admin = running.admin!.token
    assert.equal((await send(`${base}/services`)).status, 401)
    assert.equal((await send(`${base}/services`, { token: 'garbage' })).status, 401)
    const refused = await send(`${base}/services`, { token: user })
    assert.equal(refused.status, 403)
    assert.equal(refused.json.error.data.rule, 'auth.operators')
    assert.equal((await send(`${base}/services`, { token: ops })).status, 200)
    assert.equal((await send(`${base}/services`, { token: admin })).status, 200)

    const call = (token: string) =>
      send(`${base}/call`, { token, method: 'POST', body: { address: 'whoami.who' } })
    assert.deepEqual((await call(ops)).json, { data: 'olga' })
    assert.deepEqual((await call(admin)).json, { data: null }, 'the admin token names no one')
    const forged = await send(`${base}/call`, {
      token: admin,
      method: 'POST',
      body: { address: 'whoami.who', meta: { 'plexus.principal': { sub: 'root' } } },
    })
    assert.deepEqual(forged.json, { data: null }, 'a body cannot name a principal')
  })

  it('keeps the dev key pair owner-only (0600 in a 0700 directory), the same pair on every start', async (t) => {
    const keyFile = join(dir, 'keys', 'dev.json')
    const { running, ops } = await started(false)
    t.after(() => running.stop())
    assert.ok(existsSync(keyFile))
    assert.equal(statSync(keyFile).mode & 0o777, 0o600)
    assert.equal(statSync(join(dir, 'keys')).mode & 0o077, 0, 'its directory is owner-only')
    const again = await loadConfig('ops.json', { cwd: dir, env: {} })
    assert.ok(again.auth !== false && again.auth.dev !== undefined)
    assert.equal(again.auth.dev.kid, JSON.parse(readFileSync(keyFile, 'utf8')).kid)
    const verified = await again.auth.plugin.verifier!.verify(ops)
    assert.equal(verified.sub, 'olga', 'a token signed before still verifies')
  })
})

describe('plexus dev with an auth section', () => {
  it('keeps the dashboard open, while the admin endpoint still needs a token', async (t) => {
    const { running } = await started(true)
    t.after(() => running.stop())
    const base = `${running.gatewayUrl}/_plexus`
    assert.equal((await send(base)).status, 200)
    assert.equal((await send(`${base}/snapshot`)).status, 200)
    assert.equal((await send(`${base}/live`, { upgrade: true })).status, 101)
    assert.equal((await send(`http://127.0.0.1:${running.admin!.port}/services`)).status, 401)
  })
})

describe('plexus token', () => {
  it('prints a dev token the running kernel accepts; plexus services takes it with --token or PLEXUS_TOKEN', async (t) => {
    const env = userEnv()
    const kernel = startPlexus(['start', 'ops.json', '--json'], { cwd: dir, env })
    t.after(() => kernel.stop())
    await until(
      'the run file',
      () => (existsSync(join(dir, '.plexus', 'admin.json')) ? true : undefined),
      {
        ms: 30_000,
        context: () => kernel.output(),
      },
    )
    const printed = await runPlexus(
      ['token', 'ops.json', '--sub', 'olga', '--roles', 'ops,audit', '--ttl', '600'],
      { cwd: dir, env },
    )
    assert.equal(printed.code, 0, printed.stderr)
    const token = printed.stdout.trim()
    const claims = unverifiedClaims(token)
    assert.deepEqual(
      [claims.sub, claims.roles, claims.iss, claims.aud],
      ['olga', ['ops', 'audit'], 'plexus-dev', 'ops'],
    )
    assert.equal((claims.exp as number) - (claims.iat as number), 600)

    const withFlag = await runPlexus(['services', '--json', '--token', token], { cwd: dir, env })
    assert.equal(withFlag.code, 0, withFlag.stderr)
    assert.equal(JSON.parse(withFlag.stdout).services[0].name, 'whoami')
    const customer = (
      await runPlexus(['token', 'ops.json', '--sub', 'ursula'], { cwd: dir, env })
    ).stdout.trim()
    const refused = await runPlexus(['services'], {
      cwd: dir,
      env: { ...env, PLEXUS_TOKEN: customer },
    })
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /FORBIDDEN: ursula may not operate this kernel/)
    await writeFile(join(dir, 'plain.json'), JSON.stringify({ ...CONFIG, auth: undefined }))
    const none = await runPlexus(['token', 'plain.json'], { cwd: dir, env })
    assert.equal(none.code, 1)
    assert.match(none.stderr, /INVALID_CONFIG: plexus token signs with the dev keys of auth\.dev/)
  })
})
