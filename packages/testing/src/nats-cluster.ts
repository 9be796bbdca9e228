import type { TestContext } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { freePort, startLocalServer, type LocalServer } from './local-server.js'

/** A private cluster of nats-servers (JetStream on, clustered) for one test. */
export interface LocalNatsCluster {
  /** The servers, each with its own port, data directory, `stop()` and `start()`. */
  readonly servers: readonly (LocalServer & { url: string })[]
  /** Every server's client URL, to give a client all of them. */
  readonly urls: string[]
  /** Waits (bounded) until the clustered JetStream can place a stream on every server. */
  ready(ms?: number): Promise<void>
}

/**
 * Starts `size` nats-servers on free loopback ports, routed to each other as one cluster with
 * clustered JetStream, each stopped and its directory removed when the test ends.
 */
export async function startNatsCluster(t: TestContext, size = 3): Promise<LocalNatsCluster> {
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',')
  const servers: (LocalServer & { url: string })[] = []
  for (let i = 0; i < size; i++) {
    const server = await startLocalServer(t, 'nats-server', (port, dir) => [
      ...['-a', '127.0.0.1', '-p', String(port), '-n', `n${i}`],
      ...['-js', '-sd', dir, '--cluster_name', 'plexus'],
      ...['--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes],
    ])
    servers.push(Object.assign(server, { url: `nats://127.0.0.1:${server.port}` }))
  }
  const urls = servers.map((s) => s.url)
  return { servers, urls, ready: (ms = 30_000) => jetStreamReady(urls, size, ms) }
}

async function jetStreamReady(urls: string[], replicas: number, ms: number): Promise<void> {
  const end = Date.now() + ms
  const nc = await connect({ servers: urls })
  try {
    let last: unknown
    while (Date.now() < end) {
      try {
        // JetStream's own API: a meta leader answers, and a stream with a copy on every server
        // can be placed (a bucket with that many replicas would fail before that).
        const name = 'plexus_ready'
        const config = {
          name,
          subjects: ['plexus.ready'],
          num_replicas: replicas,
          storage: 'memory',
        }
        const reply = await nc.request(`$JS.API.STREAM.CREATE.${name}`, JSON.stringify(config), {
          timeout: 2000,
        })
        const created = reply.json<{ error?: { description?: string } }>()
        if (created.error === undefined) {
          await nc.request(`$JS.API.STREAM.DELETE.${name}`, '', { timeout: 2000 })
          return
        }
        last = created.error.description
      } catch (error) {
        last = error
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`JetStream did not become ready in ${ms} ms: ${String(last)}`)
  } finally {
    await nc.close()
  }
}
