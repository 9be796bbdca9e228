// The container image and the Kubernetes example (deploy/, docs/deploy.md), checked by what runs
// here: the manifests parse, their probes reach a real gateway's probe paths on the port the
// config listens on, the grace period outlasts the drain, and every environment variable they
// set is a real config key (the config loader is run with them). What SIGTERM does in the pod —
// /readyz 503 first, then the accepted requests finish — is examples/shop/test/shutdown.test.ts.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { loadConfig } from '@plexus/cli'
import { gateway } from '@plexus/gateway'
import { createKernel, defineService, silentLogger } from '@plexus/kernel'

const root = new URL('../../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')
const POD_NAME = 'plexus-shop-5d8f7c9b4-x7k2p'

interface Probe {
  httpGet: { path: string; port: string | number }
}
interface Container {
  image: string
  ports: { name: string; containerPort: number }[]
  env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]
  livenessProbe: Probe
  readinessProbe: Probe
  startupProbe?: Probe
}

function manifests() {
  const docs = parseAllDocuments(read('deploy/k8s/shop.yaml')).map((d) => {
    assert.deepEqual(d.errors, [], 'the YAML parses')
    return d.toJS() as { kind: string; spec: any }
  })
  const deployment = docs.find((d) => d.kind === 'Deployment')
  const service = docs.find((d) => d.kind === 'Service')
  assert.ok(deployment && service, 'a Deployment and a Service')
  const pod = deployment.spec.template.spec as {
    terminationGracePeriodSeconds: number
    containers: Container[]
  }
  assert.equal(pod.containers.length, 1)
  return { deployment, service, pod, container: pod.containers[0]! }
}

/** The container's environment as the pod sees it (a field reference gets a pod's name). */
function envOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {}
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value
    else if (e.valueFrom?.fieldRef.fieldPath === 'metadata.name') env[e.name] = POD_NAME
    else assert.fail(`env ${e.name}: a value or the pod name`)
  }
  return env
}

/** The shop's config as the pod loads it: the file, with the container's environment over it. */
function podConfig(container: Container) {
  return loadConfig(fileURLToPath(new URL('examples/shop/plexus.config.ts', root)), {
    env: envOf(container),
  })
}

describe('deploy/: the container image and the Kubernetes example', () => {
  it('sets only real config keys from the environment: the loader takes every variable and the values land', async () => {
    const { container } = manifests()
    const config = await podConfig(container)
    const setters = new Set(config.sources.values())
    for (const name of Object.keys(envOf(container))) {
      assert.ok(setters.has(name), `${name} sets a config key (set: ${[...setters].join(', ')})`)
    }
    assert.ok(config.gateway !== false && config.cluster !== false)
    const gw = config.gateway
    const cluster = config.cluster
    const service = (name: string) => config.services.find((s) => s.name === name)!
    // Each variable, read back where the loader put it: a misspelt key would land elsewhere.
    const landed: Record<string, [unknown, unknown]> = {
      PORT: [gw.port, 8080],
      PLEXUS_GATEWAY__HOST: [gw.host, '0.0.0.0'],
      PLEXUS_GATEWAY__DRAIN_DELAY: [gw.drainDelay, 3000],
      PLEXUS_KERNEL__DRAIN_TIMEOUT: [config.kernel.drainTimeout, 5000],
      PLEXUS_CLUSTER__NATS: [cluster.servers, ['nats://nats:4222']],
      PLEXUS_CLUSTER__NODE: [cluster.node, POD_NAME],
      PLEXUS_SERVICES__KV__CONFIG: [
        service('kv').config,
        { backend: 'nats', servers: ['nats://nats:4222'] },
      ],
      PLEXUS_SERVICES__ORDERS__INSTANCES: [
        [service('orders').instances, service('orders').settings['instances']],
        [4, { min: 1, max: 4 }],
      ],
      PLEXUS_LOG_LEVEL: [config.log.level, 'info'],
    }
    assert.deepEqual(Object.keys(envOf(container)).sort(), Object.keys(landed).sort())
    for (const [name, [actual, expected]] of Object.entries(landed)) {
      assert.deepEqual(actual, expected, name)
    }
  })

  it("probes the gateway's own /healthz and /readyz on the port the config listens on", async (t) => {
    const { container, service } = manifests()
    const config = await podConfig(container)
    assert.ok(config.gateway !== false)
    const named = (port: string | number) =>
      typeof port === 'number' ? port : container.ports.find((p) => p.name === port)?.containerPort
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
    ]) {
      if (probe === undefined) continue
      assert.equal(
        named(probe.httpGet.port),
        config.gateway.port,
        'the probe port is the gateway port',
      )
    }
    assert.equal(named(service.spec.ports[0].targetPort), config.gateway.port, 'the Service too')
    // A real gateway with the pod's health settings answers the paths the probes ask for.
    const gw = gateway({ port: 0, host: '127.0.0.1', health: config.gateway.health ?? true })
    const kernel = createKernel({ logger: silentLogger, plugins: [gw] }).add(
      defineService({ name: 'up', actions: { ping: () => 'pong' } }),
    )
    await kernel.start()
    t.after(() => kernel.stop())
    const { port } = gw.instance!.server.address() as { port: number }
    const live = await fetch(`http://127.0.0.1:${port}${container.livenessProbe.httpGet.path}`)
    assert.equal(live.status, 200)
    assert.deepEqual(await live.json(), { status: 'alive' })
    const ready = await fetch(`http://127.0.0.1:${port}${container.readinessProbe.httpGet.path}`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), { status: 'ready' })
    // While draining, the readiness path is the one that turns 503 (the liveness one does not).
    const drained = gw.instance!.drain()
    const notReady = await fetch(`http://127.0.0.1:${port}${container.readinessProbe.httpGet.path}`)
    assert.equal(notReady.status, 503)
    const stillLive = await fetch(`http://127.0.0.1:${port}${container.livenessProbe.httpGet.path}`)
    assert.equal(stillLive.status, 200)
    await drained
  })

  it('gives the pod more time than its whole graceful stop before SIGKILL', async () => {
    const { container, pod } = manifests()
    const config = await podConfig(container)
    assert.ok(config.gateway !== false)
    // The kernel's settings with its own defaults filled in (stopTimeout, drainTimeout).
    const { drainTimeout, stopTimeout } = createKernel({
      ...config.kernel,
      logger: silentLogger,
    }).config
    // SIGTERM: readiness 503, drainDelay, the gateway's drain, the kernel's drain, stop hooks.
    const stop = (config.gateway.drainDelay ?? 0) + 2 * drainTimeout + stopTimeout
    assert.ok(
      pod.terminationGracePeriodSeconds * 1000 > stop,
      `grace ${pod.terminationGracePeriodSeconds} s > ${stop} ms`,
    )
  })

  it('builds the image in two stages on node:20-slim: npm ci, the build, then plexus start', () => {
    const dockerfile = read('Dockerfile')
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])
    assert.deepEqual(stages, ['node:20-slim', 'node:20-slim'])
    assert.match(dockerfile, /^RUN npm ci\b.*&& npm run build$/m)
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)
    assert.ok(cmd, 'a CMD in exec form (the kernel is PID 1 and gets SIGTERM itself)')
    const args = JSON.parse(cmd[1]!) as string[]
    assert.deepEqual(args.slice(0, 5), [
      'node',
      '--import',
      'tsx',
      'packages/cli/bin/plexus.js',
      'start',
    ])
    assert.ok(existsSync(new URL(args[5]!, root)), `${args[5]} exists`)
    const { container } = manifests()
    const exposed = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1])
    assert.equal(exposed, container.ports[0]!.containerPort)
    assert.match(dockerfile, /PLEXUS_GATEWAY__HOST=0\.0\.0\.0/)
  })
})
