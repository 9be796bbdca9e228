import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import type { Endpoint } from './endpoint.js'

/** A listener that hands each accepted byte stream to `accept`. */
export interface Listener {
  /** The port bound. */
  readonly port: number
  close(): Promise<void>
}

/** What a byte-stream connection gives its link: write, close, and its events. */
export interface StreamConnection {
  readonly remote: string
  write(chunk: Buffer): void
  close(): void
  onData(listener: (chunk: Buffer) => void): void
  onEnd(listener: () => void): void
}

/** Listens on TCP (or TLS with `tls`) and calls `accept` for every connection. */
export async function listenTcp(
  endpoint: Endpoint,
  tls: TlsOptions | undefined,
  accept: (connection: StreamConnection) => void,
): Promise<Listener> {
  const sockets = new Set<Socket>()
  const onSocket = (socket: Socket): void => {
    sockets.add(socket)
    socket.setNoDelay(true)
    let ended = false
    const ends: (() => void)[] = []
    const end = (): void => {
      if (ended) return
      ended = true
      sockets.delete(socket)
      for (const listener of ends) listener()
    }
    socket.on('close', end)
    socket.on('error', end)
    accept({
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      write: (chunk) => {
        if (!socket.destroyed) socket.write(chunk)
      },
      // Ends after what was written (a refusal's ERROR) has left; destroyed if the peer stalls.
      close: () => {
        socket.end()
        setTimeout(() => socket.destroy(), 2_000).unref()
      },
      onData: (listener) => socket.on('data', listener),
      onEnd: (listener) => ends.push(listener),
    })
  }
  const server: Server = tls === undefined ? createServer(onSocket) : createTlsServer(tls, onSocket)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(endpoint.port, endpoint.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : endpoint.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
