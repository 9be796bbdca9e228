import { WebSocketServer, type WebSocket } from 'ws'
import type { Endpoint } from './endpoint.js'
import type { Listener } from './tcp-listener.js'

/** What a WebSocket connection gives its link: a byte stream carried in binary messages. */
export interface MessageConnection {
  readonly remote: string
  write(chunk: Buffer): void
  close(): void
  onMessage(listener: (bytes: Buffer) => void): void
  onEnd(listener: () => void): void
}

/** What a text message is fed as: one frame whose body cannot parse, so the link refuses it. */
export const TEXT_MESSAGE_FRAME = Buffer.from([0, 0, 0, 1, 0xff])

/** Room a message needs over the largest frame: a tick's run of smaller frames before it. */
export const MESSAGE_HEADROOM = 2 * 1024 * 1024

/**
 * Listens for WebSocket links on `endpoint.path`. The link is a byte stream, as over TCP: each
 * binary message carries the frames (length prefixes included) one tick wrote, so a burst costs
 * one WebSocket message instead of one per envelope. A text message is not part of the stream:
 * it is fed as a frame that cannot parse, so the link refuses it.
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
    maxPayload: maxPayload + MESSAGE_HEADROOM,
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
      write: (chunk) => {
        if (socket.readyState === socket.OPEN) socket.send(chunk, { binary: true })
      },
      // A closing handshake after what was sent (a refusal's ERROR); terminated if the peer stalls.
      close: () => {
        socket.close(1000)
        setTimeout(() => socket.terminate(), 2_000).unref()
      },
      onMessage: (listener) =>
        socket.on('message', (data, isBinary) => {
          listener(isBinary ? toBuffer(data) : TEXT_MESSAGE_FRAME)
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
