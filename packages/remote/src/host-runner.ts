import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls, type ConnectionOptions } from 'node:tls'
import { hostname } from 'node:os'
import { WebSocket } from 'ws'
import {
  createConsoleLogger,
  logLevelOf,
  type Logger,
  type ServiceDefinition,
} from '@plexus/kernel'
import { serveDefinition, type ServeTransport } from '@plexus/isolate'
import { privateKeyOf, type KeyInput, type Session } from '@plexus/wire'
import { parseEndpoint } from './endpoint.js'
import { HostProver } from './host-proof.js'
import { TEXT_MESSAGE_FRAME } from './ws-listener.js'

/** Options of a service host that dials in to a kernel. */
export interface HostOptions {
  /** The kernel's listener: `tcp://host:port`, `tls://host:port` or `ws://host:port/path`. */
  connect: string
  /** The token the kernel expects. */
  token: string
  /** This host's name in the kernel's status and logs (default `<hostname>-<pid>`). */
  name?: string
  /**
   * This host's Ed25519 private key (PEM, JWK, KeyObject or `{ file }`): it signs the kernel's
   * challenge in the handshake, for a kernel that lists the public key in `trustedHosts`.
   */
  identity?: KeyInput
  /** TLS options for `tls://` (`ca` to trust a private CA, `servername`...). */
  tls?: ConnectionOptions
  /** Reconnect backoff in ms: full jitter between `min` and a ceiling doubling up to `max`. */
  reconnect?: { min?: number; max?: number }
  logger?: Logger
}

/** A running host. */
export interface HostHandle {
  /** Whether a link to the kernel is up (HELLO exchanged). */
  readonly connected: boolean
  /** Links made so far (1 + reconnects). */
  readonly connections: number
  /** Closes the link and stops reconnecting. */
  stop(): Promise<void>
}

/**
 * Serves one service definition to a kernel over the network, reconnecting with jittered
 * backoff whenever the link drops: the same service file that runs inline, in a worker or in a
 * child process.
 */
export function runHost(definition: ServiceDefinition, options: HostOptions): HostHandle {
  const endpoint = parseEndpoint(options.connect, 'connect')
  const name = options.name ?? `${hostname()}-${process.pid}`
  const logger =
    options.logger ??
    createConsoleLogger(logLevelOf(process.env.PLEXUS_LOG_LEVEL)).child({ host: name })
  const min = options.reconnect?.min ?? 100
  const max = options.reconnect?.max ?? 5_000
  const identity =
    options.identity === undefined ? undefined : privateKeyOf(options.identity, 'host.identity')
  const proverOf = (framed: boolean, emit: (bytes: Buffer) => void): HostProver | undefined =>
    identity === undefined ? undefined : new HostProver(identity, framed, emit)
  let stopped = false
  let connections = 0
  let failures = 0
  let session: Session | undefined
  let close: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  let connected = false

  const again = (): void => {
    // Backoff restarts only after a link that got as far as the kernel's HELLO.
    if (session?.peer !== undefined) failures = 0
    connected = false
    session = undefined
    close = undefined
    if (stopped) return
    const ceiling = Math.min(max, min * 2 ** Math.min(failures++, 16))
    const wait = min + Math.random() * Math.max(0, ceiling - min)
    logger.warn(
      { connect: options.connect, wait: Math.round(wait) },
      'Link to the kernel lost; reconnecting',
    )
    timer = setTimeout(dial, wait)
  }

  const serve = (transport: ServeTransport): Session => {
    connections++
    const live = serveDefinition(definition, transport, {
      id: name,
      token: options.token,
      logger,
      onBroken: (error) =>
        logger.error(
          { code: error.code, err: error },
          `The kernel closed the link: ${error.message}`,
        ),
    })
    session = live
    return live
  }

  const dial = (): void => {
    timer = undefined
    if (stopped) return
    if (endpoint.scheme === 'ws' || endpoint.scheme === 'wss') return dialWebSocket()
    const socket: Socket =
      endpoint.scheme === 'tls'
        ? connectTls({ host: endpoint.host, port: endpoint.port, ...options.tls })
        : connectTcp({ host: endpoint.host, port: endpoint.port })
    socket.setNoDelay(true)
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      socket.destroy()
      again()
    }
    socket.once(endpoint.scheme === 'tls' ? 'secureConnect' : 'connect', () => {
      connected = true
      const prover = proverOf(true, (bytes) => socket.write(bytes))
      const live = serve({
        write: (chunk) => {
          socket.write(chunk)
          prover?.sent(chunk)
        },
        close: () => socket.destroy(),
      })
      socket.on('data', (chunk: Buffer) => {
        prover?.received(chunk)
        live.receive(chunk)
      })
    })
    close = () => socket.destroy()
    socket.on('close', end)
    socket.on('error', (error) => {
      logger.debug({ err: error }, 'Host link error')
      end()
    })
  }

  const dialWebSocket = (): void => {
    const url = `${endpoint.scheme}://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}${endpoint.path}`
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(options.tls ?? {}) })
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      socket.terminate()
      again()
    }
    let live: Session | undefined
    // A byte stream in binary messages, as over TCP: one message per tick's frames.
    const prover = proverOf(true, (bytes) => socket.send(bytes, { binary: true }))
    socket.on('open', () => {
      connected = true
      live = serve({
        write: (chunk) => {
          socket.send(chunk, { binary: true })
          prover?.sent(chunk)
        },
        close: () => socket.terminate(),
      })
    })
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = isBinary ? data : TEXT_MESSAGE_FRAME
      prover?.received(bytes)
      live?.receive(bytes)
    })
    close = () => socket.terminate()
    socket.on('close', end)
    socket.on('error', (error) => {
      logger.debug({ err: error }, 'Host link error')
      end()
    })
  }

  dial()
  return {
    get connected() {
      return connected && session !== undefined && session.peer !== undefined
    },
    get connections() {
      return connections
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      session?.flush()
      close?.()
    },
  }
}
