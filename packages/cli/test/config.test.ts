import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isPlexusError } from '@plexus/kernel'
import { applyEnv, loadConfig } from '@plexus/cli'

const bin = fileURLToPath(new URL('../bin/plexus.js', import.meta.url))
const { NODE_OPTIONS: _omit, ...baseEnv } = process.env
let dir: string

const service = `export default { name: 'greeter', actions: { hi: (_ctx, name) => 'hi ' + name } }
export const named = { name: 'greeter', actions: { hi: (_ctx, name) => 'hello ' + name } }
`

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plexus-config-'))
  await writeFile(join(dir, 'greeter.ts'), service)
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function write(name: string, text: string): Promise<string> {
  await writeFile(join(dir, name), text)
  return name
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isPlexusError(error))
    assert.equal(error.code, 'INVALID_CONFIG')
    assert.match(error.message, pattern)
    return true
  })
}

describe('configuration files', () => {
  it('loads a .ts config and fills in the defaults', async () => {
    const file = await write(
      'plexus.config.ts',
      `export default { services: { greeter: { module: './greeter.ts', instances: 2 } } }\n`,
    )
    const config = await loadConfig(undefined, { cwd: dir, env: {} })
    assert.equal(config.file, join(dir, file))
    assert.equal(config.name, 'plexus')
    assert.deepEqual(config.log, { level: 'info', pretty: 'auto' })
    assert.deepEqual(config.admin, { enabled: true, dir: join(dir, '.plexus'), port: 0 })
    assert.equal(config.gateway, false)
    assert.deepEqual(config.services, [
      {
        name: 'greeter',
        module: join(dir, 'greeter.ts'),
        export: 'default',
        placement: 'inline',
        instances: 2,
        balancer: undefined,
        settings: {},
        config: undefined,
      },
    ])
  })

  it('puts metrics on the gateway when one runs, else on port 9464; off unless configured', async () => {
    const greeter = { module: './greeter.ts' }
    await write('m1.json', JSON.stringify({ metrics: true, gateway: {}, services: { greeter } }))
    const onGateway = await loadConfig('m1.json', { cwd: dir, env: {} })
    assert.deepEqual(onGateway.metrics, {
      path: '/metrics',
      port: undefined,
      host: '127.0.0.1',
      defaultMetrics: true,
    })
    await write('m2.json', JSON.stringify({ metrics: { path: '/m' }, services: { greeter } }))
    const alone = await loadConfig('m2.json', { cwd: dir, env: {} })
    assert.equal(alone.metrics !== false && alone.metrics.port, 9464)
    const env = { PLEXUS_METRICS__PORT: '0' }
    const overridden = await loadConfig('m1.json', { cwd: dir, env })
    assert.equal(overridden.metrics !== false && overridden.metrics.port, 0)
    await write('m3.json', JSON.stringify({ services: { greeter } }))
    assert.equal((await loadConfig('m3.json', { cwd: dir, env: {} })).metrics, false)
  })

  it('loads .json and .yaml configs the same way', async () => {
    await write('a.json', JSON.stringify({ services: { greeter: { module: './greeter.ts' } } }))
    await write(
      'a.yaml',
      'gateway:\n  port: 9000\nservices:\n  greeter:\n    module: ./greeter.ts\n',
    )
    assert.equal((await loadConfig('a.json', { cwd: dir, env: {} })).services[0]?.name, 'greeter')
    const yaml = await loadConfig('a.yaml', { cwd: dir, env: {} })
    assert.equal(yaml.gateway !== false && yaml.gateway.port, 9000)
  })

  it('lets environment variables override any key, PORT included', async () => {
    await write(
      'env.json',
      JSON.stringify({
        kernel: { drainTimeout: 5000 },
        gateway: { port: 8080 },
        services: { greeter: { module: './greeter.ts', config: { backend: 'file' } } },
      }),
    )
    const config = await loadConfig('env.json', {
      cwd: dir,
      env: {
        PORT: '0',
        PLEXUS_KERNEL__DRAIN_TIMEOUT: '250',
        PLEXUS_SERVICES__GREETER__INSTANCES: '3',
        PLEXUS_SERVICES__GREETER__CONFIG__BACKEND: 'memory',
        PLEXUS_LOG_LEVEL: 'warn',
        PLEXUS_REQUIRE_SERVICES: '1', // other tools' PLEXUS_* variables (no __) are left alone
      },
    })
    assert.equal(config.gateway !== false && config.gateway.port, 0)
    assert.equal(config.kernel.drainTimeout, 250)
    assert.equal(config.services[0]?.instances, 3)
    assert.deepEqual(config.services[0]?.config, { backend: 'memory' })
    assert.equal(config.log.level, 'warn')
  })

  it('does not let PORT switch on a gateway the file turned off', () => {
    const { config } = applyEnv({ gateway: false, services: {} }, { PORT: '9090' })
    assert.equal(config.gateway, false)
  })
})

describe('configuration errors name the key, the value seen and what was expected', () => {
  const config = (text: object) => write('bad.json', JSON.stringify(text))
  const greeter = { module: './greeter.ts' }

  it('an unknown key', async () => {
    await config({ services: { greeter }, sevrices: {} })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /sevrices: expected no such key \(known: name, kernel/,
    )
  })

  it('a wrong value', async () => {
    await config({ services: { greeter: { ...greeter, instances: 'two' } } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /services\.greeter\.instances: expected a positive integer, got "two"/,
    )
    await config({ kernel: { deadline: -1 }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /kernel\.deadline: expected a number of milliseconds > 0, got -1/,
    )
    await config({ log: { level: 'loud' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /log\.level: expected one of debug, info, warn, error, silent, got "loud"/,
    )
  })

  it('a wrong metrics section', async () => {
    await config({ metrics: { prot: 1 }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /metrics\.prot: expected no such key \(known: enabled, path, port, host, defaultMetrics\), got 1/,
    )
    await config({ metrics: { path: 'metrics' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /metrics\.path: expected a path starting with '\/', got "metrics"/,
    )
    await config({ metrics: { port: 70000 }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /metrics\.port: expected a port number from 0 to 65535 \(0 picks a free one\), got 70000/,
    )
    await config({ metrics: 'yes', services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /metrics: expected an object, got "yes"/,
    )
  })

  it('wrong gateway probe, drain and OpenAPI settings', async () => {
    await config({ gateway: { drainDelay: 'soon' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /gateway\.drainDelay: expected a number of milliseconds >= 0, got "soon"/,
    )
    await config({ gateway: { openapi: 'yes' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /gateway\.openapi: expected an object, got "yes"/,
    )
    await config({ gateway: { health: 'on' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /gateway\.health: expected an object, got "on"/,
    )
  })

  it('a tracing section: defaults, and a wrong URL or key', async () => {
    await config({ name: 'shop', tracing: true, services: { greeter } })
    const on = await loadConfig('bad.json', { cwd: dir, env: {} })
    assert.deepEqual(on.tracing, { url: 'http://127.0.0.1:4318/v1/traces', serviceName: 'shop' })
    await config({ tracing: { url: 'collector:4318' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /tracing\.url: expected an http:\/\/ or https:\/\/ URL, got "collector:4318"/,
    )
    await config({ tracing: { otlp: 'x' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /tracing\.otlp: expected no such key \(known: enabled, url, serviceName\)/,
    )
    await config({ tracing: { enabled: false }, services: { greeter } })
    assert.equal((await loadConfig('bad.json', { cwd: dir, env: {} })).tracing, false)
  })

  it('an auth section: a verifier and policies, refusing none/HS algorithms, bad policies and route keys', async () => {
    const jwt = { jwksUrl: 'http://127.0.0.1:1/jwks.json', algorithms: ['RS256'], issuer: 'i' }
    await config({
      auth: { jwt, policies: { actions: { 'greeter.hi': { public: true } } }, public: ['GET /hi'] },
      services: { greeter },
    })
    const on = await loadConfig('bad.json', { cwd: dir, env: {} })
    assert.ok(on.auth !== false && on.auth.plugin.verifier !== undefined)
    assert.deepEqual(on.auth.public, ['GET /hi'])
    await config({ auth: { jwt: { ...jwt, algorithms: ['HS256'] } }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /auth: algorithm 'HS256' is symmetric/,
    )
    await config({ auth: { policies: { calls: {} } }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /auth\.policies\.calls: expected one of actions, events, streams/,
    )
    await config({ auth: { public: ['/hi'] }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /auth\.public: expected a list of route keys/,
    )
    await config({ auth: { token: 'x' }, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /auth\.token: expected no such key/,
    )
  })

  it('a wrong value from an environment variable names the variable', async () => {
    await config({ gateway: {}, services: { greeter } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: { PORT: 'http' } }),
      /gateway\.port \(from PORT\): expected a port number from 0 to 65535 \(0 picks a free one\), got "http"/,
    )
  })

  it('a missing module, a missing file and poisoned JSON', async () => {
    await config({ services: { greeter: {} } })
    await rejects(
      loadConfig('bad.json', { cwd: dir, env: {} }),
      /services\.greeter\.module: expected a non-empty string, got nothing/,
    )
    await rejects(loadConfig('nope.json', { cwd: dir, env: {} }), /Config file not found/)
    await write(
      'poison.json',
      '{"services":{"greeter":{"module":"./greeter.ts","__proto__":{"x":1}}}}',
    )
    await rejects(
      loadConfig('poison.json', { cwd: dir, env: {} }),
      /services\.greeter\.__proto__: expected an ordinary key/,
    )
  })

  it('plexus start exits 2 with the message and no stack trace', async () => {
    await config({ services: { greeter: { ...greeter, placement: 'moon' } } })
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>(
      (resolve) =>
        execFile(
          process.execPath,
          [bin, 'start', 'bad.json'],
          { cwd: dir, env: { ...baseEnv, PLEXUS_SERVICES__GREETER__INSTANCES: '0' } },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
    )
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /INVALID_CONFIG: Invalid configuration: services\.greeter\.instances \(from PLEXUS_SERVICES__GREETER__INSTANCES\): expected a positive integer, got 0/,
    )
    assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at /)
  })

  it('plexus start names an unregistered placement and the plug-in that provides it', async () => {
    await config({ services: { greeter: { ...greeter, placement: 'moon' } } })
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>(
      (resolve) =>
        execFile(
          process.execPath,
          [bin, 'start', 'bad.json'],
          { cwd: dir, env: baseEnv },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
    )
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /services\.greeter\.placement: expected a registered placement \(inline; 'worker' and 'process' need/,
    )
    assert.match(result.stderr, /got "moon"/)
    assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at /)
  })

  it('plexus start refuses a worker or process service with a named export or a factory config: the guest would run another definition', async () => {
    for (const [key, extra] of [
      ['export', { export: 'named' }],
      ['config', { config: { greeting: 'hi' } }],
    ] as const) {
      await config({ services: { greeter: { ...greeter, placement: 'worker', ...extra } } })
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [bin, 'start', 'bad.json'],
          { cwd: dir, env: baseEnv },
          (error, _out, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      )
      assert.equal(result.code, 2, key)
      assert.match(result.stderr, new RegExp(`services\\.greeter\\.${key}: expected`), key)
    }
  })
})

describe('auth from the config', () => {
  it('plexus boots with an auth section: a protected route answers 401, a public one 200', async () => {
    const { boot } = await import('@plexus/cli')
    const { silentLogger } = await import('@plexus/kernel')
    const { generateKeyPairSync } = await import('node:crypto')
    const jwk = {
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      kid: 'k',
    }
    await write(
      'auth.json',
      JSON.stringify({
        admin: { enabled: false },
        gateway: { port: 0, routes: { 'GET /hi': 'greeter.hi', 'POST /hi': 'greeter.hi' } },
        auth: {
          jwt: { keys: [jwk], algorithms: ['ES256'] },
          policies: { actions: { 'greeter.hi': { public: true } } },
          public: ['GET /hi'],
        },
        services: { greeter: { module: './greeter.ts' } },
      }),
    )
    const running = await boot(await loadConfig('auth.json', { cwd: dir, env: {} }), silentLogger)
    try {
      assert.equal((await fetch(`${running.gatewayUrl}/hi?name=x`)).status, 200)
      const refused = await fetch(`${running.gatewayUrl}/hi`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(refused.status, 401)
    } finally {
      await running.kernel.stop()
    }
  })
})
