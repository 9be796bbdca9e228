/**
 * The kernel's end of a link to a host that dialled in over TCP, built from the repo's own
 * parts (`Session` from @plexus/isolate, the @plexus/wire codec) the way the real listener
 * will be, plus a tap that decodes every frame each way so a driver can check the traffic.
 */
import net from 'node:net'
import { PlexusError, silentLogger } from '@plexus/kernel'
import { Session } from '@plexus/isolate'
import {
  FrameDecoder,
  createHello,
  decodeEnvelope,
  type Envelope,
  type EventEnvelope,
  type Handshake,
} from '@plexus/wire'

/** One decoded frame seen on the link, in the order of both directions together. */
export interface Seen {
  dir: 'in' | 'out'
  seq: number
  envelope: Envelope | undefined
  /** Why the tap could not decode it (a malformed frame). */
  refused?: string
}

/** Every frame one way, decoded without affecting the link. */
class Tap {
  readonly #decoder = new FrameDecoder()
  constructor(
    readonly dir: 'in' | 'out',
    readonly log: Seen[],
    readonly counter: { n: number },
  ) {}

  push(chunk: Uint8Array): void {
    if (this.#decoder.error !== undefined) return
    try {
      for (const body of this.#decoder.push(chunk)) {
        const seq = this.counter.n++
        try {
          this.log.push({ dir: this.dir, seq, envelope: decodeEnvelope(body) })
        } catch (error) {
          this.log.push({ dir: this.dir, seq, envelope: undefined, refused: String(error) })
        }
      }
    } catch {
      // a framing error, written on purpose by the driver: the tap stops
    }
  }
}

/** A raw TCP connection from the host, with both directions tapped. */
export class Connection {
  readonly log: Seen[] = []
  readonly events: EventEnvelope[] = []
  readonly pongs: number[] = []
  readonly closed: Promise<void>
  session: Session | undefined
  handshake: Handshake | undefined
  broken: PlexusError | undefined
  readonly #counter = { n: 0 }
  readonly #out = new Tap('out', this.log, this.#counter)

  constructor(readonly socket: net.Socket) {
    const tap = new Tap('in', this.log, this.#counter)
    socket.on('data', (chunk: Buffer) => {
      tap.push(chunk)
      this.session?.receive(chunk)
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  /**
   * Speaks the protocol with a `Session`. By protocol.md §4 the kernel is the initiator (odd
   * ids) whoever dialled, and the host the acceptor (even ids).
   */
  speak(window = 16): Session {
    const session = new Session({
      side: 'initiator',
      hello: createHello({ role: 'kernel', name: 'fake-kernel' }),
      write: (chunk) => this.writeRaw(chunk),
      logger: silentLogger,
      window,
      handlers: {
        request: (_request, exchange) =>
          exchange?.fail(new Error('the fake kernel serves nothing')),
        event: (event) => void this.events.push(event),
        ready: (handshake) => void (this.handshake = handshake),
        broken: (error) => {
          this.broken = error
          this.socket.destroy()
        },
        pong: (seq) => void this.pongs.push(seq),
      },
    })
    this.session = session
    this.socket.once('close', () => session.close(session.closed ?? unavailable()))
    return session
  }

  /** Writes bytes as they are (valid frames, or malformed ones on purpose). */
  writeRaw(chunk: Uint8Array): void {
    this.#out.push(chunk)
    if (!this.socket.destroyed) this.socket.write(chunk)
  }

  /** Envelopes received from the host, optionally only those of one type and id. */
  received(t?: number, id?: number): Envelope[] {
    return this.log
      .filter((s) => s.dir === 'in' && s.envelope !== undefined)
      .map((s) => s.envelope as Envelope)
      .filter((e) => (t === undefined || e.t === t) && (id === undefined || idOf(e) === id))
  }
}

function idOf(e: Envelope): number | undefined {
  return 'id' in e ? e.id : undefined
}

function unavailable(): PlexusError {
  return new PlexusError('UNAVAILABLE', 'The host closed the link')
}

/** A TCP server on a free loopback port handing out each connection in turn. */
export class FakeListener {
  readonly server: net.Server
  readonly #waiting: ((c: Connection) => void)[] = []
  readonly #arrived: Connection[] = []
  /** Every connection so far, in order. */
  readonly all: Connection[] = []

  constructor() {
    this.server = net.createServer((socket) => {
      socket.setNoDelay(true)
      const connection = new Connection(socket)
      this.all.push(connection)
      const waiter = this.#waiting.shift()
      if (waiter !== undefined) waiter(connection)
      else this.#arrived.push(connection)
    })
  }

  /** Listens on 127.0.0.1 and returns the `tcp://` URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const { port } = this.server.address() as net.AddressInfo
    return `tcp://127.0.0.1:${port}`
  }

  /** The next connection from a host (bounded by `ms`). */
  next(ms = 15_000): Promise<Connection> {
    const ready = this.#arrived.shift()
    if (ready !== undefined) return Promise.resolve(ready)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms)
      this.#waiting.push((c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
