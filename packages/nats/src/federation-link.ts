import { headers, type NatsConnection } from '@nats-io/transport-node'
import { PlexusError, type Kernel, type Logger, type ServiceManifest } from '@plexus/kernel'
import {
  EnvelopeType,
  Liveness,
  Session,
  createHello,
  type Exchange,
  type RequestEnvelope,
} from '@plexus/wire'
import { FederationInstance } from './federation-instance.js'
import { federationLinkSubject, type FederationPeer } from './federation-subjects.js'
import type { LocalManifests } from './local-manifests.js'
import type { NatsSettings } from './nats-options.js'
import { NodeTraffic } from './node-traffic.js'
import { LINK_HEADERS } from './subjects.js'

/** What every federation link of this node shares. */
export interface FederationHost {
  readonly kernel: Kernel<any>
  readonly nc: NatsConnection
  readonly settings: NatsSettings
  /** This node in the federation: its cluster name and node id. */
  readonly self: FederationPeer
  /** This process's instance id. */
  readonly instance: string
  readonly local: LocalManifests
  readonly logger: Logger
  readonly maxFrameSize: number
  /** A message or an envelope was refused. */
  refused(): void
  /** Whether this cluster runs `service@version` itself (the imported one stands by). */
  standby(service: string, version: number): boolean
}

let opened = 0

/**
 * The wire session between an importing node and an exporting node of another cluster, for ONE
 * exported service: the subjects name the service (`plexus.<ns>.fed.<service>.{in,out}.link…`),
 * so a leaf node or an account export can carry exactly that service, and the exporting side
 * runs nothing else — a request for any other service is refused FORBIDDEN (`not-exported`).
 * The importer is the initiator; it attaches the versions the exporter announced. Message
 * numbering and PING liveness work as on a node link (node-link.ts).
 */
export class FederationLink {
  readonly id: string
  readonly session: Session
  peerLink: string | undefined
  readonly #host: FederationHost
  readonly #service: string
  readonly #remote: FederationPeer
  readonly #subject: string
  readonly #importer: boolean
  readonly #attached = new Map<string, () => void>()
  readonly #liveness: Liveness
  readonly #onClose: (link: FederationLink, error: PlexusError) => void
  #manifests: ServiceManifest[] = []
  #expect = 1
  #seq = 0
  #ready = false
  #closed = false

  constructor(
    host: FederationHost,
    namespace: string,
    service: string,
    remote: FederationPeer,
    role: 'importer' | 'exporter',
    onClose: (link: FederationLink, error: PlexusError) => void,
  ) {
    const { settings } = host
    this.#host = host
    this.#service = service
    this.#remote = remote
    this.#importer = role === 'importer'
    this.#onClose = onClose
    this.id = `${host.instance}.f${++opened}`
    this.#subject = federationLinkSubject(
      namespace,
      service,
      this.#importer ? 'in' : 'out',
      remote,
      host.self,
    )
    const name = `${remote.cluster}.${remote.node}`
    const traffic = new NodeTraffic(host.kernel, host.local, host.logger, host.self.node, name)
    this.session = new Session({
      side: this.#importer ? 'initiator' : 'acceptor',
      hello: createHello({
        role: 'kernel',
        name: `${host.self.cluster}.${host.self.node}`,
        maxFrameSize: host.maxFrameSize,
      }),
      logger: host.logger,
      maxFrameSize: host.maxFrameSize,
      onRefused: () => host.refused(),
      handlers: {
        ready: () => {
          this.#ready = true
          this.#sync()
        },
        broken: (error) => this.close(error, false),
        request: (request, exchange) => this.#request(traffic, request, exchange),
        event: () => host.refused(),
        pong: (seq) => this.#liveness.pong(seq),
      },
      send: (messages) => this.#publish(messages),
    })
    this.#liveness = Liveness.of(
      this.session,
      settings.pingInterval,
      settings.pingMisses,
      (missed) =>
        this.close(
          new PlexusError(
            'UNAVAILABLE',
            `Federated node '${name}' missed ${missed} PINGs in a row (liveness window ${settings.livenessWindow} ms)`,
            { retryable: true, data: { node: name, reason: 'unresponsive' } },
          ),
          true,
        ),
    )
  }

  /** The other side: its cluster and node. */
  get remote(): FederationPeer {
    return this.#remote
  }

  /** The other side's process instance, once heard from. */
  get peerInstance(): string | undefined {
    const link = this.peerLink
    return link === undefined ? undefined : link.slice(0, link.lastIndexOf('.'))
  }

  /** Versions attached over this link now (importer side). */
  get attached(): number {
    return this.#attached.size
  }

  /** One message from the other side's link `from`, numbered `seq`. */
  accept(from: string, seq: number, body: Uint8Array): void {
    if (this.#closed) return
    this.peerLink ??= from
    if (seq !== this.#expect) {
      return this.close(
        new PlexusError(
          'UNAVAILABLE',
          `Federation link lost messages (expected #${this.#expect})`,
          {
            retryable: true,
            data: { node: `${this.#remote.cluster}.${this.#remote.node}`, reason: 'gap' },
          },
        ),
        true,
      )
    }
    this.#expect++
    this.session.receiveMessage(body)
  }

  /** Importer side: the versions the exporter announced now (empty: it withdrew). */
  update(manifests: ServiceManifest[]): void {
    this.#manifests = manifests
    this.#sync()
  }

  /** Ends the link: calls in flight end `error`, attached versions are detached. */
  close(error: PlexusError, tell: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#liveness.stop()
    if (tell && this.peerLink !== undefined) {
      try {
        this.session.write({ t: EnvelopeType.ERROR, id: 0, error: error.toJSON() })
        this.session.flush()
      } catch {
        // The connection is gone too: the other side finds out by its own PINGs.
      }
    }
    for (const detach of this.#attached.values()) detach()
    this.#attached.clear()
    this.session.close(error)
    this.#onClose(this, error)
  }

  /** Exporter side: only the exported service, and never an event addressed elsewhere. */
  #request(traffic: NodeTraffic, request: RequestEnvelope, exchange: Exchange | undefined): void {
    if (this.#importer) {
      exchange?.fail(
        new PlexusError('FORBIDDEN', 'An importing node serves nothing over a federation link', {
          data: { reason: 'not-exported' },
        }),
      )
      this.#host.refused()
      return
    }
    const service = /^[^@.]+/.exec(request.address)?.[0]
    if (service !== this.#service) {
      this.#host.refused()
      const error = new PlexusError(
        'FORBIDDEN',
        `'${request.address}' is not exported on this federation link (it carries '${this.#service}')`,
        { data: { reason: 'not-exported', address: request.address } },
      )
      if (exchange !== undefined) exchange.fail(error)
      return
    }
    traffic.request(request, exchange)
  }

  #sync(): void {
    if (this.#closed || !this.#ready || !this.#importer) return
    const wanted = new Map(this.#manifests.map((m) => [`${m.name}@${m.version}`, m]))
    for (const [key, detach] of this.#attached) {
      if (wanted.has(key)) continue
      detach()
      this.#attached.delete(key)
    }
    const where = `${this.#remote.cluster}.${this.#remote.node}`
    for (const [key, manifest] of wanted) {
      if (this.#attached.has(key) || manifest.name !== this.#service) continue
      const { name, version } = manifest
      const instance = new FederationInstance(
        `${where}/${key}`,
        where,
        name,
        version,
        this.session,
        () => this.#host.standby(name, version),
      )
      try {
        this.#attached.set(key, this.#host.kernel.attach(manifest, instance))
      } catch (error) {
        this.#host.logger.warn(
          { peer: where, service: key, err: error },
          `Federated service not attached: ${(error as Error).message}`,
        )
      }
    }
  }

  #publish(messages: Buffer[]): void {
    for (const body of messages) {
      const h = headers()
      h.set(LINK_HEADERS.from, this.id)
      if (this.peerLink !== undefined) h.set(LINK_HEADERS.to, this.peerLink)
      h.set(LINK_HEADERS.seq, String(++this.#seq))
      this.#host.nc.publish(this.#subject, body, { headers: h })
    }
  }
}
