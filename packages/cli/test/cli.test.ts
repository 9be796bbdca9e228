// The plexus commands against a running kernel, each run as a user runs it: a child process.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  runPlexus,
  startPlexus,
  until as waitFor,
  type CommandResult,
  type RunningPlexus,
} from '@plexus/testing'

// Service modules with no imports, so they load from a temporary directory.
const greeter = (version: number, word: string) => `export default {
  name: 'greeter',
  version: ${version},
  actions: {
    hi: (_ctx, name) => '${word} ' + name,
    slow: (ctx, ms) => new Promise((r) => setTimeout(() => r('done'), ms)),
    hold: async (ctx, file) => {
      const { existsSync } = await import('node:fs')
      while (!existsSync(file)) await new Promise((r) => setTimeout(r, 20))
      return 'done'
    },
    last: () => globalThis.lastEvent ?? null,
  },
  events: { 'greetings.*': (ctx, payload) => { globalThis.lastEvent = { topic: ctx.topic, payload } } },
}
`

let dir: string
let kernel: RunningPlexus

const plexus = (args: string[]): Promise<CommandResult> => runPlexus(args, { cwd: dir })

/** Waits for `probe`, with the kernel's output in the error when it times out. */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  waitFor(what, probe, { context: () => kernel.output() })

const runFile = () => join(dir, '.plexus', 'admin.json')

function admin(
  path: string,
  body: string | undefined,
  token: string,
  method = 'POST',
  declaredLength?: number,
): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  const { port } = JSON.parse(readFileSync(runFile(), 'utf8')) as { port: number }
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` }
    if (declaredLength !== undefined) headers['content-length'] = declaredLength
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }))
    })
    req.on('error', reject)
    // A declared length larger than what is written keeps the request open: the answer must
    // come from the declared size alone.
    if (declaredLength === undefined) req.end(body)
    else req.write(body ?? '')
  })
}

describe('plexus --help', () => {
  it('prints the commands, and each command has its own help', async () => {
    dir = tmpdir()
    const top = await plexus(['--help'])
    assert.equal(top.code, 0)
    for (const command of ['start', 'dev', 'call', 'emit', 'services', 'top', 'replace'])
      assert.match(top.stdout, new RegExp(`^  ${command}`, 'm'))
    const call = await plexus(['call', '--help'])
    assert.match(call.stdout, /Usage: plexus call <service\.action> \[json\]/)
    const unknown = await plexus(['frobnicate'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown command 'frobnicate'/)
  })

  it('says clearly when no kernel is running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'plexus-none-'))
    const result = await plexus(['services'])
    assert.equal(result.code, 1)
    assert.match(
      result.stderr,
      /UNAVAILABLE: No running kernel found .* Start one with: plexus start/,
    )
    await rm(dir, { recursive: true, force: true })
  })
})

describe('plexus commands against a running kernel (plexus dev)', { timeout: 180_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plexus-cli-'))
    await writeFile(join(dir, 'greeter.ts'), greeter(1, 'hello'))
    await writeFile(join(dir, 'greeter-v2.ts'), greeter(2, 'howdy'))
    await writeFile(
      join(dir, 'plexus.config.json'),
      JSON.stringify({
        name: 'test-app',
        kernel: { drainTimeout: 60_000 },
        services: { greeter: { module: './greeter.ts', instances: 2 } },
      }),
    )
    kernel = startPlexus(['dev', '--json'], { cwd: dir })
    await until('the run file', () => (existsSync(runFile()) ? true : undefined))
  })

  after(async () => {
    await kernel.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes the admin token to a run file only its owner can read', () => {
    const info = JSON.parse(readFileSync(runFile(), 'utf8')) as {
      token: string
      port: number
      pid: number
    }
    assert.equal(statSync(runFile()).mode & 0o777, 0o600)
    assert.ok(info.token.length >= 32)
    assert.ok(info.port > 0)
  })

  it('plexus call prints the answer; --json wraps it in { data }', async () => {
    const plain = await plexus(['call', 'greeter.hi', '"ada"'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.equal(plain.stdout.trim(), '"hello ada"')
    const bare = await plexus(['call', 'greeter.hi', 'grace', '--json'])
    assert.deepEqual(JSON.parse(bare.stdout), { data: 'hello grace' })
  })

  it('plexus call reports a typed error with exit code 1, or as JSON with --json', async () => {
    const missing = await plexus(['call', 'greeter.nope'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^NOT_FOUND: /)
    const json = await plexus(['call', 'greeter.nope', '--json'])
    assert.equal(json.code, 1)
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'NOT_FOUND')
    const badJson = await plexus(['call', 'greeter.hi', '{"oops'])
    assert.equal(badJson.code, 1)
    assert.match(badJson.stderr, /VALIDATION: Request body is not JSON/)
    const late = await plexus(['call', 'greeter.slow', '2000', '--deadline', '100'])
    assert.match(late.stderr, /^TIMEOUT: /)
  })

  it('plexus emit publishes an event that subscribing services receive', async () => {
    const emitted = await plexus(['emit', 'greetings.sent', '{"to":"ada"}'])
    assert.equal(emitted.code, 0, emitted.stderr)
    assert.match(emitted.stdout, /emitted greetings\.sent/)
    const seen = await until('the event', async () => {
      // Balanced delivery reaches one of the two instances; ask both by round-robin.
      for (let i = 0; i < 2; i++) {
        const { stdout } = await plexus(['call', 'greeter.last', '--json'])
        const data = (JSON.parse(stdout) as { data: unknown }).data
        if (data !== null) return data
      }
      return undefined
    })
    assert.deepEqual(seen, { topic: 'greetings.sent', payload: { to: 'ada' } })
  })

  it('plexus services lists services, versions, instances, placement, state and restarts', async () => {
    const table = await plexus(['ls'])
    assert.match(table.stdout, /SERVICE\s+VERSION\s+STATE\s+PLACEMENT\s+INSTANCES\s+RESTARTS/)
    assert.match(table.stdout, /greeter\s+1\s+running\s+inline\s+2\/2\s+0\s+hi slow hold last/)
    const json = JSON.parse((await plexus(['services', '--json'])).stdout) as {
      name: string
      services: {
        name: string
        version: number
        instances: { placement: string; restarts: number }[]
      }[]
    }
    assert.equal(json.name, 'test-app')
    assert.equal(json.services[0]?.instances.length, 2)
  })

  it('plexus top --once prints one snapshot per instance with rates, latencies, errors, restarts and refused envelopes', async () => {
    const top = await plexus(['top', '--once'])
    assert.equal(top.code, 0)
    assert.match(
      top.stdout,
      /INSTANCE\s+PLACEMENT\s+STATE\s+REQ\/S\s+P50 ms\s+P99 ms\s+IN FLIGHT\s+HANDLED\s+ERRORS\s+RESTARTS\s+REFUSED/,
    )
    assert.equal(top.stdout.match(/^greeter@1#\d+\s+inline\s+running/gm)?.length, 2)
    const json = await plexus(['top', '--once', '--json'])
    assert.ok(Array.isArray((JSON.parse(json.stdout) as { services: unknown[] }).services))
  })

  it('plexus replace hot-replaces a service from another file', async () => {
    const replaced = await plexus(['replace', 'greeter', 'greeter-v2.ts'])
    assert.equal(replaced.code, 0, replaced.stderr)
    assert.match(replaced.stdout, /replaced greeter \(now version 2\)/)
    assert.equal((await plexus(['call', 'greeter.hi', 'ada'])).stdout.trim(), '"howdy ada"')
    const missing = await plexus(['replace', 'nobody'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /NOT_FOUND: No service 'nobody' in the config/)
  })

  it('plexus dev hot-replaces a service when its file is saved, and keeps it when the file does not compile', async () => {
    await writeFile(join(dir, 'greeter.ts'), greeter(3, 'bonjour'))
    await until('the edit to be live', async () =>
      (await plexus(['call', 'greeter.hi', 'ada'])).stdout.trim() === '"bonjour ada"'
        ? true
        : undefined,
    )
    await writeFile(
      join(dir, 'greeter.ts'),
      'export default { name: "greeter", actions: { hi: ( } }\n',
    )
    await until('the compile error to be reported', () =>
      /Kept the running version of 'greeter'/.test(kernel.output()) ? true : undefined,
    )
    assert.equal((await plexus(['call', 'greeter.hi', 'ada'])).stdout.trim(), '"bonjour ada"')
  })

  it('the admin endpoint refuses a wrong token, poisoned JSON and oversized bodies', async () => {
    const { token } = JSON.parse(readFileSync(runFile(), 'utf8')) as { token: string }
    const wrong = await admin('/call', '{"address":"greeter.hi","input":"x"}', token + 'x')
    assert.deepEqual([wrong.status, wrong.json.error?.code], [401, 'UNAUTHORIZED'])
    const poisoned = await admin(
      '/call',
      '{"address":"greeter.hi","input":{"__proto__":{"admin":true}}}',
      token,
    )
    assert.deepEqual([poisoned.status, poisoned.json.error?.code], [400, 'VALIDATION'])
    const big = await admin(
      '/call',
      JSON.stringify({ address: 'greeter.hi', input: 'x'.repeat(1_100_000) }),
      token,
    )
    assert.equal(big.status, 413)
    const unknown = await admin('/nope', undefined, token, 'GET')
    assert.deepEqual([unknown.status, unknown.json.error?.code], [404, 'NOT_FOUND'])
    assert.equal(({} as Record<string, unknown>).admin, undefined)
  })

  it('SIGTERM drains a call in flight, then exits 0 and removes the run file', async () => {
    // The call is held until the test creates this file: in flight for as long as the test needs.
    const release = join(dir, 'release')
    const held = plexus(['call', 'greeter.hold', JSON.stringify(release), '--deadline', '120000'])
    await until('the call to be in flight', async () => {
      const { stdout } = await plexus(['services', '--json'])
      const services = (JSON.parse(stdout) as { services: { instances: { inFlight: number }[] }[] })
        .services
      return services.some((s) => s.instances.some((i) => i.inFlight > 0)) ? true : undefined
    })
    kernel.child.kill('SIGTERM')
    await until('the stop to begin', () =>
      kernel.output().includes('Stopping: draining in-flight work') ? true : undefined,
    )
    assert.equal(kernel.child.exitCode, null, 'the kernel waits for the call')
    await writeFile(release, '')
    const answer = await held
    assert.equal(answer.stdout.trim(), '"done"', answer.stderr)
    assert.equal(await kernel.exited, 0)
    assert.equal(existsSync(runFile()), false)
  })
})
