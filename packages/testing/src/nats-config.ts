import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort, startLocalServer, type LocalServer } from './local-server.js'

/** A nats-server started from a configuration file, with its HTTP monitoring port. */
export interface ConfiguredNats extends LocalServer {
  /** Its client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string
  /** Its monitoring base URL, `http://127.0.0.1:<port>` (`/varz`, `/leafz`, `/connz`...). */
  readonly monitor: string
  /** GETs one monitoring endpoint (`/leafz`) as JSON. */
  monitoring<T = unknown>(path: string): Promise<T>
}

/** What a configuration is written from: the ports and the server's own directory. */
export interface NatsConfigPorts {
  readonly port: number
  readonly dir: string
}

/**
 * Starts a private nats-server from the configuration text `config(ports)` (written to its own
 * temp dir; `port` and the monitoring port are given on the command line, so the text needs
 * neither), stopped and its dir removed when the test ends.
 */
export async function startNatsWithConfig(
  t: TestContext,
  config: (ports: NatsConfigPorts) => string,
): Promise<ConfiguredNats> {
  const http = await freePort()
  const server = await startLocalServer(t, 'nats-server', (port, dir) => {
    const file = join(dir, 'nats.conf')
    writeFileSync(file, config({ port, dir }))
    return ['-c', file, '-a', '127.0.0.1', '-p', String(port), '-m', String(http)]
  })
  const monitor = `http://127.0.0.1:${http}`
  return Object.assign(server, {
    url: `nats://127.0.0.1:${server.port}`,
    monitor,
    async monitoring<T>(path: string): Promise<T> {
      const response = await fetch(`${monitor}${path}`)
      if (!response.ok) throw new Error(`${monitor}${path} answered ${response.status}`)
      return (await response.json()) as T
    },
  })
}
