// The `cluster:` config section: validated like every other section, and two `plexus start`
// kernels with it on one nats-server call each other's services.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, test } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { isPlexusError } from '@plexus/kernel'
import { loadConfig } from '@plexus/cli'
import {
  runPlexus,
  serverSkip,
  startNatsServer,
  startPlexus,
  until,
  type RunningPlexus,
} from '@plexus/testing'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plexus-cluster-config-'))
  await writeFile(
    join(dir, 'greeter.ts'),
    `export default { name: 'greeter', actions: { hi: () => 'hi' } }\n`,
  )
})
after(() => rm(dir, { recursive: true, force: true }))

const greeter = { module: './greeter.ts' }
async function load(config: object, env: Record<string, string> = {}) {
  await writeFile(join(dir, 'c.json'), JSON.stringify(config))
  return loadConfig('c.json', { cwd: dir, env })
}
async function refused(config: object, pattern: RegExp, env: Record<string, string> = {}) {
  await assert.rejects(load(config, env), (error) => {
    assert.ok(isPlexusError(error))
    assert.equal(error.code, 'INVALID_CONFIG')
    assert.match(error.message, pattern)
    return true
  })
}

describe('the cluster section', () => {
  it('is off unless given', async () => {
    assert.equal((await load({ services: { greeter } })).cluster, false)
  })

  it('becomes the nats plug-in options, with PLEXUS_CLUSTER__* overrides', async () => {
    const cluster = {
      nats: 'nats://10.0.0.1:4222',
      node: 'a',
      livenessWindow: 2000,
      micro: ['greeter'],
    }
    assert.deepEqual((await load({ cluster, services: { greeter } })).cluster, {
      servers: ['nats://10.0.0.1:4222'],
      node: 'a',
      livenessWindow: 2000,
      micro: ['greeter'],
    })
    const env = {
      PLEXUS_CLUSTER__NATS: '["nats://n1:4222","nats://n2:4222"]',
      PLEXUS_CLUSTER__NODE: 'node-7',
      PLEXUS_CLUSTER__NAMESPACE: 'shop',
      PLEXUS_CLUSTER__MICRO: 'true',
    }
    assert.deepEqual((await load({ cluster, services: { greeter } }, env)).cluster, {
      servers: ['nats://n1:4222', 'nats://n2:4222'],
      node: 'node-7',
      namespace: 'shop',
      livenessWindow: 2000,
      micro: true,
    })
  })

  it('refuses an unknown key or a bad value with INVALID_CONFIG naming the key', async () => {
    const ok = { nats: 'nats://127.0.0.1:4222', node: 'a' }
    await refused(
      { cluster: { ...ok, nodes: 2 }, services: { greeter } },
      /cluster\.nodes: expected no such key/,
    )
    await refused(
      { cluster: { ...ok, nats: 'http://x' }, services: { greeter } },
      /cluster\.nats: expected a nats:\/\/ URL/,
    )
    await refused({ cluster: { ...ok, nats: [] }, services: { greeter } }, /cluster\.nats/)
    await refused(
      { cluster: { nats: ok.nats }, services: { greeter } },
      /cluster\.node: expected letters/,
    )
    await refused(
      { cluster: { ...ok, node: 'a.b' }, services: { greeter } },
      /cluster\.node: expected letters, digits, _ or - \(1 to 64 of them\), got "a\.b"/,
    )
    await refused(
      { cluster: { ...ok, namespace: 'has space' }, services: { greeter } },
      /cluster\.namespace/,
    )
    await refused(
      { cluster: { ...ok, livenessWindow: 0 }, services: { greeter } },
      /cluster\.livenessWindow: expected a number of milliseconds/,
    )
    await refused(
      { cluster: { ...ok, micro: 'yes' }, services: { greeter } },
      /cluster\.micro: expected true, false or a list/,
    )
    await refused({ cluster: 'nats://x:1', services: { greeter } }, /cluster: expected an object/)
    await refused(
      { cluster: ok, services: { greeter } },
      /cluster\.node \(from PLEXUS_CLUSTER__NODE\)/,
      {
        PLEXUS_CLUSTER__NODE: 'a b',
      },
    )
  })
})

const skip = serverSkip('nats-server', 'nats-server')

test(
  'two plexus kernels with cluster configs on one nats-server call each other’s services, and the micro facade answers a plain NATS request',
  { skip, timeout: 120_000 },
  async (t) => {
    const kernels: RunningPlexus[] = []
    const dirs: string[] = []
    // Registered first so it runs first: the kernels leave the cluster before the server stops.
    t.after(async () => {
      for (const k of kernels) await k.stop()
      for (const d of dirs) await rm(d, { recursive: true, force: true })
    })
    const { url } = await startNatsServer(t)
    const node = async (id: string, service: string, micro: boolean) => {
      const home = await mkdtemp(join(tmpdir(), `plexus-node-${id}-`))
      dirs.push(home)
      await writeFile(
        join(home, `${service}.ts`),
        `export default { name: '${service}', actions: { node: () => '${id}' } }\n`,
      )
      await writeFile(
        join(home, 'plexus.config.json'),
        JSON.stringify({
          cluster: { nats: url, node: id, namespace: 'clitest', micro },
          services: { [service]: { module: `./${service}.ts` } },
        }),
      )
      kernels.push(startPlexus(['start', '--json'], { cwd: home }))
      return home
    }
    const a = await node('a', 'alpha', false)
    const b = await node('b', 'beta', true)
    const called = (home: string, address: string) =>
      until(
        `${address} answering from ${home}`,
        async () => {
          const result = await runPlexus(['call', address], { cwd: home })
          return result.code === 0 ? result.stdout.trim() : undefined
        },
        { ms: 60_000, context: () => kernels.map((k) => k.output()).join('\n---\n') },
      )
    assert.equal(await called(a, 'beta.node'), '"b"')
    assert.equal(await called(b, 'alpha.node'), '"a"')

    const nc = await connect({ servers: url })
    t.after(() => nc.close())
    const reply = await until('the facade of b', () =>
      nc.request('plexus.clitest.svc.beta.node', '', { timeout: 10_000 }).then(
        (msg) => msg,
        () => undefined,
      ),
    )
    assert.equal(reply.json(), 'b')
    // Node a did not opt in: its service is not exposed.
    await assert.rejects(nc.request('$SRV.PING.alpha', '', { timeout: 10_000 }), /no responders/i)
  },
)
