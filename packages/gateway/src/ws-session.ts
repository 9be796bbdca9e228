import { withoutReserved } from '@plexus/auth'
import type { WebSocket } from 'ws'
import { PlexusError } from '@plexus/kernel'
import type { GatewayCounters } from './gateway-stats.js'
import { toErrorAnswer } from './http-status.js'
import type { Kernel } from '@plexus/kernel'
import type { TopicHub, TopicListener } from './topic-hub.js'
import { topicAllowed } from './topic-match.js'
import { parseClientFrame, type ClientFrame } from './ws-protocol.js'

/** Close code sent to a client cut off for not reading (RFC 6455 1008, policy violation). */
export const SLOW_CONSUMER_CLOSE = 1008

// A stream waits for the socket to flush once this much is queued, so a producer never
// outruns the client by more than one frame past the mark.
const STREAM_HIGH_WATER = 64 * 1024
const MAX_SUBSCRIPTIONS = 64

/** What a session needs from its gateway. */
export interface SessionDeps {
  kernel: Kernel
  hub: TopicHub | undefined
  actions: ReadonlySet<string>
  streams: ReadonlySet<string>
  topics: readonly string[]
  meta: Record<string, unknown>
  deadline: number | undefined
  statuses: Readonly<Record<string, number>>
  counters: GatewayCounters
  maxBufferedBytes: number
  maxInFlight: number
  /** Milliseconds a cut-off client has to take its close frame before the socket is destroyed. */
  closeGrace: number
  /** The byte stream under the WebSocket, corked while one tick's frames are written. */
  stream?: Corkable | undefined
}

/** A writable stream whose writes can be held and written together (a `net.Socket`). */
export interface Corkable {
  cork(): void
  uncork(): void
}

/** One WebSocket client: calls, streams and event subscriptions, with a bound on what it owes. */
export class WsSession implements TopicListener {
  readonly #socket: WebSocket
  readonly #deps: SessionDeps
  readonly #inFlight = new Map<string | number, AbortController>()
  readonly #subscriptions = new Set<string>()
  #ended = false
  #corked = false
  /** Writes what this tick's frames queued: one write for the answers of a whole batch of calls. */
  readonly #uncork = (): void => {
    this.#corked = false
    this.#deps.stream?.uncork()
  }

  constructor(socket: WebSocket, deps: SessionDeps) {
    this.#socket = socket
    this.#deps = deps
    deps.counters.sockets++
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary))
    socket.once('close', () => this.#end())
    // ws reports oversize frames (1009) and bad framing as errors before closing; the close
    // handler does the cleanup.
    socket.on('error', () => {})
  }

  /** Delivers an event the session subscribed to. */
  event(topic: string, payload: unknown): void {
    this.#send({ type: 'event', topic, data: payload })
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#ended) return
    if (isBinary) {
      this.#sendError(undefined, new PlexusError('PROTOCOL', 'Binary frames are not supported'))
      return
    }
    let frame: ClientFrame
    try {
      frame = parseClientFrame(String(data))
    } catch (error) {
      const id = (error as PlexusError).data as { id?: string | number } | undefined
      this.#sendError(id?.id, error)
      return
    }
    switch (frame.type) {
      case 'call':
      case 'stream':
        void this.#run(frame)
        return
      case 'cancel':
        this.#inFlight.get(frame.id)?.abort(new PlexusError('CANCELLED', 'Cancelled by the client'))
        return
      case 'subscribe':
        this.#subscribe(frame.id, frame.topic)
        return
      case 'unsubscribe':
        if (this.#subscriptions.delete(frame.topic)) this.#deps.hub?.remove(frame.topic, this)
        this.#send({ id: frame.id, type: 'unsubscribed', topic: frame.topic })
        return
    }
  }

  async #run(frame: Extract<ClientFrame, { type: 'call' | 'stream' }>): Promise<void> {
    const { id, action } = frame
    const exposed = frame.type === 'call' ? this.#deps.actions : this.#deps.streams
    if (!exposed.has(action)) {
      this.#sendError(id, new PlexusError('NOT_FOUND', `No ${frame.type} '${action}' is exposed`))
      return
    }
    if (this.#inFlight.has(id)) {
      this.#sendError(id, new PlexusError('PROTOCOL', `Id ${JSON.stringify(id)} is already in use`))
      return
    }
    if (this.#inFlight.size >= this.#deps.maxInFlight) {
      const limit = this.#deps.maxInFlight
      this.#sendError(id, new PlexusError('OVERLOADED', `More than ${limit} requests in flight`))
      return
    }
    const abort = new AbortController()
    this.#inFlight.set(id, abort)
    // Reserved keys (the principal) come from the upgrade's token only, never from a frame.
    const meta =
      frame.meta === undefined
        ? { ...this.#deps.meta }
        : { ...withoutReserved(frame.meta), ...this.#deps.meta }
    const deadline = this.#deps.deadline
    const options =
      deadline === undefined
        ? { meta, signal: abort.signal }
        : { meta, signal: abort.signal, deadline }
    try {
      if (frame.type === 'call') {
        const data = await this.#deps.kernel.call(action, frame.input, options)
        this.#send({ id, type: 'result', data })
      } else {
        await this.#pipeStream(id, this.#deps.kernel.stream(action, frame.input, options))
      }
    } catch (error) {
      this.#sendError(id, error)
    } finally {
      this.#inFlight.delete(id)
    }
  }

  async #pipeStream(id: string | number, items: AsyncIterable<unknown>): Promise<void> {
    this.#deps.counters.openStreams++
    try {
      for await (const data of items) {
        let written = (): void => {}
        const flushed = new Promise<void>((resolve) => (written = resolve))
        if (!this.#send({ id, type: 'item', data }, () => written())) return
        // Pull the next item only once this one reached the OS, while the socket is backed up.
        if (this.#socket.bufferedAmount > STREAM_HIGH_WATER) await flushed
        if (this.#ended) return
      }
      this.#send({ id, type: 'end' })
    } finally {
      this.#deps.counters.openStreams--
    }
  }

  #subscribe(id: string | number, topic: string): void {
    const hub = this.#deps.hub
    if (hub === undefined) {
      this.#sendError(id, new PlexusError('UNAVAILABLE', 'This gateway has no event source'))
      return
    }
    if (!topicAllowed(topic, this.#deps.topics)) {
      this.#sendError(id, new PlexusError('FORBIDDEN', `Topic '${topic}' is not open to clients`))
      return
    }
    if (!this.#subscriptions.has(topic)) {
      if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS) {
        this.#sendError(id, new PlexusError('OVERLOADED', `More than ${MAX_SUBSCRIPTIONS} topics`))
        return
      }
      this.#subscriptions.add(topic)
      hub.add(topic, this)
    }
    this.#send({ id, type: 'subscribed', topic })
  }

  #sendError(id: string | number | undefined, error: unknown): void {
    const { body } = toErrorAnswer(error, this.#deps.statuses)
    this.#send(id === undefined ? { type: 'error', ...body } : { id, type: 'error', ...body })
  }

  /** Sends a frame unless the client is gone or owes too much; false when it was not sent. */
  #send(frame: object, onWritten?: () => void): boolean {
    if (this.#ended || this.#socket.readyState !== this.#socket.OPEN) {
      this.#deps.counters.droppedMessages++
      return false
    }
    const text = JSON.stringify(frame)
    if (this.#socket.bufferedAmount + Buffer.byteLength(text) > this.#deps.maxBufferedBytes) {
      this.#deps.counters.droppedMessages++
      this.#cutOff()
      return false
    }
    const stream = this.#deps.stream
    if (stream !== undefined && !this.#corked) {
      // The frames of one tick (the answers to a client's batch of calls) leave in one write.
      this.#corked = true
      stream.cork()
      process.nextTick(this.#uncork)
    }
    // ws calls back once the frame reached the OS, or with an error when the socket closed.
    this.#socket.send(text, onWritten === undefined ? undefined : () => onWritten())
    return true
  }

  #cutOff(): void {
    this.#deps.counters.slowClientsCut++
    const limit = this.#deps.maxBufferedBytes
    this.#socket.close(SLOW_CONSUMER_CLOSE, `slow consumer: over ${limit} bytes unread`)
    // The close frame queues behind the unread data; a client that never reads never gets it.
    setTimeout(() => this.#socket.terminate(), this.#deps.closeGrace).unref()
    this.#end()
  }

  #end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#deps.counters.sockets--
    for (const topic of this.#subscriptions) this.#deps.hub?.remove(topic, this)
    this.#subscriptions.clear()
    for (const abort of this.#inFlight.values()) {
      abort.abort(new PlexusError('CANCELLED', 'The client went away'))
    }
  }
}
