import type { TlsOptions } from 'node:tls'
import { PlexusError, type Kernel, type Plugin, type ServiceManifest } from '@plexus/kernel'
import { DEFAULT_LIMITS, keyIdOf, keyRingOf, publicKeyOf, type KeyInput } from '@plexus/wire'
import { AwaitedHost } from './awaited-host.js'
import { formatEndpoint, parseEndpoint } from './endpoint.js'
import { HostLink, type HostLinkSettings, type HostTokenVerifier } from './host-link.js'
import { listenTcp, type Listener } from './tcp-listener.js'
import { listenWebSocket } from './ws-listener.js'

/** Options of the remote plug-in. */
export interface RemoteOptions {
  /** TCP listener for hosts, e.g. `tcp://127.0.0.1:7070` (`tls://` with `tls`; port 0: any free). */
  tcp?: string
  /** WebSocket listener for hosts, e.g. `ws://127.0.0.1:7071/plexus/link`. */
  ws?: string
  /** A shared token a host may present in its HELLO (compared in constant time). */
  token?: string
  /**
   * Verifies a JWT a host presents instead (`auth(...).verifier`): its `plexus.services` claim
   * must list every service the host serves (FORBIDDEN otherwise). Checked when it dials in.
   * `token`, `verifier` or both; with both, either is accepted.
   */
  verifier?: HostTokenVerifier
  /**
   * Hosts' Ed25519 public keys: with it, every host proves its identity in the handshake by
   * signing this kernel's fresh challenge (`runHost({ identity })`); `services` limits what a
   * key may serve (docs/security.md). Refusals are UNAUTHORIZED / FORBIDDEN, link closed.
   */
  trustedHosts?: readonly { key: KeyInput; services?: readonly string[] }[]
  /** TLS for the TCP listener (`key`, `cert`, `ca`, `requestCert`...); required for `tls://`. */
  tls?: TlsOptions
  /** PING period in ms (default 1000; 0 disables). */
  pingInterval?: number
  /** PINGs missed in a row (with no other traffic) that end a host's link (default 3). */
  pingMisses?: number
  /** How long a new connection may take to say HELLO, in ms (default 5000). */
  helloTimeout?: number
  /** Largest frame accepted and written, in bytes (default 16 MiB). */
  maxFrameSize?: number
}

/** The remote plug-in, with the addresses it listens on once the kernel started. */
export interface RemotePlugin extends Plugin<Kernel<any>> {
  /** Bound listener URLs (with the chosen ports), once set up. */
  readonly addresses: { tcp?: string; ws?: string }
  /** Host links open now. */
  readonly links: number
}

/**
 * Lets service hosts dial in: a listener on TCP (length-prefixed frames, optional TLS) and/or
 * WebSocket (the same frames, a tick's worth per binary message). Each host says HELLO with its
 * manifests and the configured token (or a JWT); its services are attached to the kernel and
 * routed like any other. It also
 * registers the `remote` placement: a service added with `placement: 'remote'` (its definition
 * known here, e.g. from a config file) runs in no process of this kernel; its instances wait for
 * hosts of that service to dial in, and messages wait for them within their deadline.
 *
 * @example
 * const kernel = createKernel({ plugins: [remote({ tcp: 'tcp://127.0.0.1:7070', token })] })
 * // elsewhere: plexus host ./services/payments.ts --connect tcp://127.0.0.1:7070 --token …
 */
export function remote(options: RemoteOptions): RemotePlugin {
  if (
    (options.token !== undefined || options.verifier === undefined) &&
    (typeof options.token !== 'string' || options.token.length < 8)
  ) {
    throw new PlexusError(
      'INVALID_CONFIG',
      `remote.token: expected a string of at least 8 characters, got ${typeof options.token === 'string' ? `${options.token.length} characters` : typeof options.token}`,
      { data: { key: 'remote.token', expected: 'a string of at least 8 characters' } },
    )
  }
  if (options.tcp === undefined && options.ws === undefined) {
    throw new PlexusError('INVALID_CONFIG', "remote: give 'tcp' and/or 'ws' to listen on", {
      data: { key: 'remote', expected: "'tcp' and/or 'ws'" },
    })
  }
  const tcp = options.tcp === undefined ? undefined : parseEndpoint(options.tcp, 'remote.tcp')
  const ws = options.ws === undefined ? undefined : parseEndpoint(options.ws, 'remote.ws')
  if (ws?.scheme === 'wss' || ws?.scheme === 'tcp' || ws?.scheme === 'tls') {
    throw new PlexusError(
      'INVALID_CONFIG',
      `remote.ws: expected 'ws://host:port/path' (terminate TLS in front of it for wss), got ${JSON.stringify(options.ws)}`,
      { data: { key: 'remote.ws', value: options.ws, expected: 'ws://host:port/path' } },
    )
  }
  if (tcp !== undefined && tcp.scheme !== 'tcp' && tcp.scheme !== 'tls') {
    throw new PlexusError(
      'INVALID_CONFIG',
      `remote.tcp: expected 'tcp://host:port' or 'tls://host:port', got ${JSON.stringify(options.tcp)}`,
      { data: { key: 'remote.tcp', value: options.tcp, expected: 'tcp:// or tls://' } },
    )
  }
  if (tcp?.scheme === 'tls' && options.tls === undefined) {
    throw new PlexusError('INVALID_CONFIG', "remote.tls: a 'tls://' listener needs key and cert", {
      data: { key: 'remote.tls', expected: '{ key, cert }' },
    })
  }
  const trust = trustOf(options.trustedHosts)
  const addresses: { tcp?: string; ws?: string } = {}
  const links = new Set<HostLink>()
  // Slots of services placed `remote` (configured here, served by a host that dials in).
  const awaited = new Map<string, AwaitedHost[]>()
  const claim = (manifest: ServiceManifest): AwaitedHost | undefined =>
    awaited.get(`${manifest.name}@${manifest.version}`)?.find((slot) => !slot.bound)
  return {
    name: 'remote',
    addresses,
    get links() {
      return links.size
    },
    async setup(kernel) {
      kernel.placement('remote', (request) => {
        const slot = new AwaitedHost(request)
        const key = `${slot.manifest.name}@${slot.manifest.version}`
        awaited.set(key, [...(awaited.get(key) ?? []), slot])
        return slot
      })
      const settings: HostLinkSettings = {
        claim,
        trust,
        token: options.token,
        verifier: options.verifier,
        pingInterval: options.pingInterval ?? 1000,
        pingMisses: options.pingMisses ?? 3,
        helloTimeout: options.helloTimeout ?? 5000,
        maxFrameSize: options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
        logger: kernel.config.logger.child({ plugin: 'remote' }),
      }
      const closed = (link: HostLink): void => void links.delete(link)
      const listeners: Listener[] = []
      try {
        if (tcp !== undefined) {
          const tls = tcp.scheme === 'tls' ? options.tls : undefined
          const listener = await listenTcp(tcp, tls, (connection) => {
            const link = new HostLink(kernel, connection, settings, connection.remote, closed)
            links.add(link)
            connection.onData((chunk) => link.session.receive(chunk))
            connection.onEnd(() => link.close(endOf(link.name)))
          })
          listeners.push(listener)
          addresses.tcp = formatEndpoint(tcp, listener.port)
        }
        if (ws !== undefined) {
          const listener = await listenWebSocket(ws, settings.maxFrameSize, (connection) => {
            const link = new HostLink(kernel, connection, settings, connection.remote, closed)
            links.add(link)
            connection.onMessage((bytes) => link.session.receive(bytes))
            connection.onEnd(() => link.close(endOf(link.name)))
          })
          listeners.push(listener)
          addresses.ws = formatEndpoint(ws, listener.port)
        }
      } catch (error) {
        for (const listener of listeners) await listener.close()
        throw error
      }
      return async () => {
        const stopping = new PlexusError('UNAVAILABLE', 'Kernel is stopping', {
          retryable: true,
          data: { reason: 'stopping' },
        })
        await Promise.all([...links].map((link) => link.stopServices(link.services)))
        for (const link of [...links]) link.close(stopping)
        for (const listener of listeners) await listener.close()
      }
    },
  } satisfies RemotePlugin
}

function endOf(host: string): PlexusError {
  return new PlexusError('UNAVAILABLE', `Host '${host}' closed its link`, {
    retryable: true,
    data: { host, reason: 'closed' },
  })
}

function trustOf(hosts: RemoteOptions['trustedHosts']): HostLinkSettings['trust'] {
  if (hosts === undefined) return undefined
  const ring = keyRingOf(
    (Array.isArray(hosts) ? hosts : []).map((h) => ({ key: h?.key as KeyInput })),
    'remote.trustedHosts',
  )
  if (!Array.isArray(hosts) || ring.size === 0) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'remote.trustedHosts: expected a non-empty list of { key, services? }',
      {
        data: { key: 'remote.trustedHosts' },
      },
    )
  }
  const services = new Map<string, readonly string[]>()
  hosts.forEach((host, i) => {
    if (host.services === undefined) return
    if (
      !Array.isArray(host.services) ||
      !host.services.every((s: unknown) => typeof s === 'string')
    ) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `remote.trustedHosts[${i}].services: expected a list of service names`,
        {
          data: { key: `remote.trustedHosts[${i}].services` },
        },
      )
    }
    services.set(keyIdOf(publicKeyOf(host.key, `remote.trustedHosts[${i}].key`)), [
      ...host.services,
    ])
  })
  return { ring, services }
}
