import { WebSocketServer, type WebSocket } from 'ws'
import type { Endpoint } from './endpoint.js'
import type { Listener } from './tcp-listener.js'

/** What a message connection gives its link. */
export interface MessageConnection {
  readonly remote: string
  send(messages: Buffer[]): void
  close(): void
  onMessage(listener: (body: Buffer) => void): void
  onEnd(listener: () => void): void
}

/**
 * Listens for WebSocket links on `endpoint.path`: one envelope body per binary message. A text
 * message is not an envelope: it is fed as bytes that cannot parse, so the link refuses it.
 */
export async function listenWebSocket(
  endpoint: Endpoint,
  maxPayload: number,
  accept: (connection: MessageConnection) => void,
): Promise<Listener> {
  const server = new WebSocketServer({
    host: endpoint.host,
    port: endpoint.port,
    path: endpoint.path,
    maxPayload,
    perMessageDeflate: false,
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('connection', (socket: WebSocket, request) => {
    const raw = request.socket
    raw.setNoDelay(true)
    const ends: (() => void)[] = []
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      for (const listener of ends) listener()
    }
    socket.on('close', end)
    socket.on('error', end)
    accept({
      remote: `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}`,
      send: (messages) => {
        if (socket.readyState !== socket.OPEN) return
        // One corked burst per tick: the messages leave in as few writes as possible.
        raw.cork()
        for (const message of messages) socket.send(message, { binary: true })
        process.nextTick(() => raw.uncork())
      },
      // A closing handshake after what was sent (a refusal's ERROR); terminated if the peer stalls.
      close: () => {
        socket.close(1000)
        setTimeout(() => socket.terminate(), 2_000).unref()
      },
      onMessage: (listener) =>
        socket.on('message', (data, isBinary) => {
          listener(isBinary ? toBuffer(data) : Buffer.from([0xff]))
        }),
      onEnd: (listener) => ends.push(listener),
    })
  })
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : endpoint.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      }),
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
