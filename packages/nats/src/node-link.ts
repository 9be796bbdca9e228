import type { NatsConnection } from '@nats-io/transport-node'
import { PlexusError, type Kernel, type Logger, type ServiceManifest } from '@plexus/kernel'
import { EnvelopeType, LinkMac, LinkProof, Liveness, Session, createHello } from '@plexus/wire'
import type { EventFlow, LinkShare } from './event-flow.js'
import { EVENT_TALLY_FEATURE, EventTally, SETTLED_ADDRESS, type Tally } from './event-tally.js'
import type { LocalManifests } from './local-manifests.js'
import type { NatsSettings, PeerMetaTrust } from './nats-options.js'
import { NodeInstance } from './node-instance.js'
import type { NodeKeys } from './node-keys.js'
import { NodeTraffic } from './node-traffic.js'
import { encodeLinkMessage, linkMessageHead, type LinkMessage } from './link-message.js'
import { linkSubject } from './subjects.js'

/** What every node link of this kernel shares. */
export interface LinkHost {
  readonly kernel: Kernel<any>
  readonly nc: NatsConnection
  readonly settings: NatsSettings
  /** This process's instance id (changes on restart; the node id does not). */
  readonly instance: string
  readonly local: LocalManifests
  readonly logger: Logger
  /** Largest envelope body written or accepted (a frame may span NATS messages). */
  readonly maxFrameSize: number
  /** Largest segment of one NATS message (under the server's max_payload, room left for the head). */
  readonly segmentSize: number
  /** An envelope was refused on some link (`why`: a failed MAC or a replay, with link security). */
  refused(why?: 'tampered' | 'replayed'): void
  /**
   * The link closed (why, and whether the peer should be probed for life). Its instances stay
   * attached, unreachable, until the host calls `release()`.
   */
  closed(link: NodeLink, error: PlexusError): void
  /** The link attached what the peer's registry entry names (its services are reachable again). */
  synced?(link: NodeLink): void
  /** The bounded buffer plain events to peers go through (T15), if any. */
  readonly events?: EventFlow
  /** Link security (identity proofs and MACs), when configured. */
  readonly keys: NodeKeys | undefined
  /** What re-trusts a proven peer's meta (`nats({ trust })`), if configured. */
  readonly trust?: PeerMetaTrust | undefined
  /** The peer's HELLO (and proof, when required) arrived: the link is about to serve. */
  ready?(link: NodeLink): void
}

let opened = 0
const TALLY_OPTIONS = { deadline: 0 }
/**
 * Frames per NATS message under load (the wire's default is 16, tuned for a socket). Each NATS
 * message costs its head, a sequence number (and a MAC) here and routing in nats-server; at 64,
 * calls across two nodes at c100 read 0.77x and 0.71x the raw NATS floor against 0.64x and
 * 0.62x at 16 (two interleaved pairs of runs). A tick with fewer frames still leaves as one.
 */
const BATCH_FRAMES = 64
const NO_DROPS: Readonly<Record<string, number>> = Object.freeze({})

/**
 * The wire session between this node and one peer, as a byte stream of frames (length-prefixed
 * envelope bodies) cut into NATS messages on `plexus.<ns>.link.<peer>.<self>`: the frames of one
 * tick go as one message (up to 64 frames; a big frame as several), each headed by the sending
 * link, the receiving link and a sequence number (link-message.ts), so a message lost by core NATS (at-most-once) is seen as
 * a gap — the link closes, its calls end UNAVAILABLE (retryable) — never as a silent loss. The
 * node with the smaller id is the initiator. PINGs on it (any traffic counts) declare a silent
 * peer dead within the liveness window. The peer's services are attached once its HELLO
 * arrived and its registry entry names the same process.
 */
export class NodeLink {
  readonly peer: string
  /** This side's link id: `<instance>.<n>`, new for every session. */
  readonly id: string
  readonly session: Session
  /** This link's share of the plain-event buffer: events sent to the peer not yet tallied. */
  readonly events: LinkShare = { inFlight: 0, closed: false, oneWay: false }
  /** The peer side's link id, from the first message heard. */
  peerLink: string | undefined
  readonly #host: LinkHost
  readonly #subject: string
  readonly #attached = new Map<string, { instance: NodeInstance; detach: () => void }>()
  readonly #liveness: Liveness
  #record: { instance: string; services: ServiceManifest[] } | undefined
  #expect = 1
  #seq = 0
  #refused = 0
  #ready = false
  #closed = false
  readonly #secured: boolean
  #mac: LinkMac | undefined
  #head: Buffer | undefined
  #headTo = ''

  constructor(host: LinkHost, peer: string) {
    const { settings, keys } = host
    this.#host = host
    this.peer = peer
    this.id = `${host.instance}.${++opened}`
    this.#subject = linkSubject(settings.namespace, peer, settings.node)
    this.#secured = keys !== undefined
    // Only a proven peer's meta is re-trusted (the link is proven before any request is served).
    const trust = keys === undefined ? undefined : host.trust
    const tally = new EventTally((t) => this.session.send(SETTLED_ADDRESS, t, TALLY_OPTIONS))
    const traffic = new NodeTraffic(host.kernel, host.local, host.logger, settings.node, peer, {
      tally,
      settled: (t) => this.#settled(t),
      trust,
    })
    this.session = new Session({
      // Both sides prove themselves over the other's challenge and agree per-link MAC keys.
      proof:
        keys === undefined
          ? undefined
          : new LinkProof({
              identity: keys.identity,
              trust: keys.trust,
              keyed: true,
              peerName: peer,
            }),
      side: settings.node < peer ? 'initiator' : 'acceptor',
      hello: createHello({
        role: 'kernel',
        name: settings.node,
        maxFrameSize: host.maxFrameSize,
        features: [EVENT_TALLY_FEATURE],
      }),
      logger: host.logger,
      maxFrameSize: host.maxFrameSize,
      batchFrames: BATCH_FRAMES,
      onRefused: () => {
        this.#refused++
        host.refused()
      },
      handlers: {
        ready: (handshake) => {
          this.events.oneWay = handshake.peer.features?.includes(EVENT_TALLY_FEATURE) === true
          this.#ready = true
          host.ready?.(this)
          this.#sync()
        },
        broken: (error) => this.close(error, false),
        request: (request, exchange) => traffic.request(request, exchange),
        event: (event) =>
          host.logger.debug({ peer, topic: event.topic }, 'EVENT on a node link ignored'),
        pong: (seq) => this.#liveness.pong(seq),
      },
      write: (chunk) => this.#publish(chunk),
    })
    this.#liveness = Liveness.of(
      this.session,
      settings.pingInterval,
      settings.pingMisses,
      (missed) =>
        this.close(
          new PlexusError(
            'UNAVAILABLE',
            `Node '${peer}' missed ${missed} PINGs in a row (liveness window ${settings.livenessWindow} ms)`,
            { retryable: true, data: { node: peer, reason: 'unresponsive' } },
          ),
          true,
        ),
    )
  }

  /** The peer's process instance, once heard from. */
  get peerInstance(): string | undefined {
    const link = this.peerLink
    return link === undefined ? undefined : link.slice(0, link.lastIndexOf('.'))
  }

  /** Whether the peer's HELLO (and, with link security, its proof) was accepted. */
  get ready(): boolean {
    return this.#ready
  }

  /** Services attached from this peer now. */
  get attached(): number {
    return this.#attached.size
  }

  /**
   * One message from the peer's link `from`, numbered `seq`: the next segment of its byte stream.
   * With link security every message after the first (which holds the HELLO, and at most the
   * proof, both self-authenticating) must carry the MAC of its sequence number and body, and only
   * the next sequence number is accepted: a tampered message (checked first) or a replay (an
   * older number) is refused and counted, and the link serves on; a valid message past the next
   * number means messages were lost (a gap), which closes the link as without security.
   */
  accept(message: LinkMessage): void {
    if (this.#closed) return
    const { seq, body } = message
    if (this.#secured) {
      const why =
        seq > 1 && !this.#authentic(seq, body, message.mac)
          ? 'tampered'
          : seq < this.#expect
            ? 'replayed'
            : undefined
      if (why !== undefined) {
        this.#refused++
        this.#host.refused(why)
        return
      }
    }
    this.peerLink ??= message.from
    if (seq !== this.#expect) {
      return this.close(
        new PlexusError(
          'UNAVAILABLE',
          `Node link to '${this.peer}' lost messages (expected #${this.#expect}, got #${seq})`,
          { retryable: true, data: { node: this.peer, reason: 'gap' } },
        ),
        true,
      )
    }
    this.#expect++
    this.session.receive(body)
  }

  /** The peer's registry entry changed: attach what it serves now, detach what it no longer does. */
  update(record: { instance: string; services: ServiceManifest[] }): void {
    this.#record = record
    this.#sync()
  }

  /**
   * Ends the link: calls in flight on it end `error` (UNAVAILABLE, retryable); the peer's
   * instances turn unreachable (routed to only when nothing else serves their version, and then
   * refused at once with that error) until the host releases them; `tell` sends the peer an
   * ERROR id 0 so its side closes at once.
   */
  close(error: PlexusError, tell: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#liveness.stop()
    const gone =
      error.code === 'UNAVAILABLE'
        ? error
        : new PlexusError('UNAVAILABLE', `Node link to '${this.peer}' closed: ${error.message}`, {
            retryable: true,
            cause: error,
            // A refused proof is not retried at once: the peer's next registry entry retries it.
            data:
              error.code === 'UNAUTHORIZED'
                ? { node: this.peer, reason: 'unauthorized' }
                : { node: this.peer },
          })
    if (tell && this.peerLink !== undefined) {
      try {
        this.session.write({ t: EnvelopeType.ERROR, id: 0, error: gone.toJSON() })
        this.session.flush()
      } catch {
        // The connection is gone too: the peer finds out by its own PINGs.
      }
    }
    for (const { instance } of this.#attached.values()) instance.unreachable()
    this.#host.events?.lost(this.events)
    this.session.close(gone)
    this.#host.closed(this, gone)
  }

  /** Detaches the peer's instances: the link is closed and, for the host, over. */
  release(): void {
    for (const { detach } of this.#attached.values()) detach()
    this.#attached.clear()
  }

  /** The peer's tally of the events this node sent it; a malformed or inflated one is refused. */
  #settled(tally: Tally | undefined): void {
    const flow = this.#host.events
    if (tally !== undefined && flow !== undefined) {
      if (flow.settle(this.events, tally.handled, tally.dropped ?? NO_DROPS)) return
    }
    this.#refused++
    this.#host.refused()
    this.#host.logger.debug(
      { peer: this.peer },
      'Event tally refused (malformed, or more than was sent)',
    )
  }

  #authentic(seq: number, body: Uint8Array, mac: string): boolean {
    const keys = this.session.keys
    if (keys === undefined) return false
    this.#mac ??= new LinkMac(keys)
    return this.#mac.check(seq, body, mac)
  }

  #sync(): void {
    const record = this.#record
    if (this.#closed || !this.#ready || record === undefined) return
    // An entry of another process under this id (a predecessor's, or a successor's not yet
    // linked) must not be served over this session.
    const current = record.instance === this.peerInstance
    const services = current ? record.services : []
    const wanted = new Map(services.map((m) => [`${m.name}@${m.version}`, m]))
    for (const [key, { detach }] of this.#attached) {
      if (wanted.has(key)) continue
      detach()
      this.#attached.delete(key)
    }
    for (const [key, manifest] of wanted) {
      if (this.#attached.has(key)) continue
      const id = `${this.peer}/${key}`
      const instance = new NodeInstance(
        id,
        this.peer,
        manifest.name,
        manifest.version,
        this.session,
        () => this.#refused,
        this.#host.events,
        this.events,
      )
      try {
        this.#attached.set(key, { instance, detach: this.#host.kernel.attach(manifest, instance) })
      } catch (error) {
        this.#host.logger.warn(
          { peer: this.peer, service: key, err: error },
          `Service of node '${this.peer}' not attached: ${(error as Error).message}`,
        )
      }
    }
    if (current) this.#host.synced?.(this)
  }

  /**
   * One tick's frames (up to 64 envelopes written in the tick, coalesced by the session): one NATS
   * message, or consecutive segments of at most `segmentSize` bytes when they are bigger.
   */
  #publish(chunk: Buffer): void {
    const size = this.#host.segmentSize
    if (chunk.length <= size) return this.#send(chunk)
    for (let at = 0; at < chunk.length; at += size) this.#send(chunk.subarray(at, at + size))
  }

  #send(segment: Buffer): void {
    const seq = ++this.#seq
    // Everything after the first message is MACed: the keys exist once the peer's HELLO was
    // read, and the first message holds only this side's HELLO (and its proof, when the peer's
    // HELLO came first).
    let mac = ''
    if (this.#secured && seq > 1) {
      const keys = this.session.keys
      if (keys !== undefined) {
        this.#mac ??= new LinkMac(keys)
        mac = this.#mac.sign(seq, segment)
      }
    }
    this.#host.nc.publish(this.#subject, encodeLinkMessage(this.#messageHead(), seq, mac, segment))
  }

  /** The head of this link's messages, rebuilt only when the peer's link id becomes known. */
  #messageHead(): Buffer {
    const to = this.peerLink ?? ''
    if (this.#head === undefined || this.#headTo !== to) {
      this.#head = linkMessageHead(this.id, to)
      this.#headTo = to
    }
    return this.#head
  }
}
