import { headers, type Msg, type Subscription } from '@nats-io/transport-node'
import { PlexusError, type EmitFn, type Interceptor, type ServiceManifest } from '@plexus/kernel'
import type { FederationHost } from './federation-link.js'
import { FederationLink } from './federation-link.js'
import {
  ORIGIN_HEADER,
  eventSubject,
  federationLinkInbox,
  hereSubject,
  whoSubject,
} from './federation-subjects.js'
import { LINK_HEADERS } from './subjects.js'

/** Links from importing nodes one exported service accepts at once (forged ones are bounded). */
const MAX_LINKS = 256
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/

/** What an exporting node announces for one service on `…out.here`. */
export interface FederationAnnouncement {
  readonly cluster: string
  readonly node: string
  readonly instance: string
  /** The versions of the service this node runs (empty: withdrawn). */
  readonly services: ServiceManifest[]
}

/**
 * The exporting side of federation on one node: for each exported service that runs here it
 * announces the versions (on change, every `registryTtl / 3`, and when an importer asks),
 * accepts federation links from importing nodes (which may call only that service), and
 * publishes each event whose topic is under an exported service's name (`catalog.…`) once,
 * from the node that emitted it.
 */
export class FederationExporter {
  readonly #host: FederationHost
  readonly #namespace: string
  readonly #exports: ReadonlySet<string>
  readonly #links = new Map<string, FederationLink>()
  readonly #subs: Subscription[] = []
  readonly #last = new Map<string, string>()
  #announcedAt = 0
  #stopped = false
  #closed = false
  #passing = false
  /** Events published to other clusters. */
  eventsOut = 0

  constructor(host: FederationHost, exports: readonly string[]) {
    this.#host = host
    this.#namespace = host.settings.namespace
    this.#exports = new Set(exports)
  }

  /** Links from importing nodes, open now. */
  get links(): number {
    return this.#links.size
  }

  /** Publishes exported events; `pass` lets an importer re-emit without re-exporting. */
  readonly interceptor: Interceptor = {
    name: 'nats-federation-export',
    emit: (next: EmitFn): EmitFn => {
      if (this.#exports.size === 0) return next
      return (topic, payload, options, caller) => {
        next(topic, payload, options, caller)
        if (this.#passing || this.#stopped) return
        const dot = topic.indexOf('.')
        const service = dot < 0 ? topic : topic.slice(0, dot)
        if (!this.#exports.has(service)) return
        const h = headers()
        h.set(ORIGIN_HEADER, this.#host.self.cluster)
        const body = JSON.stringify({ topic, payload, meta: options?.meta })
        this.#host.nc.publish(eventSubject(this.#namespace, service), body, { headers: h })
        this.eventsOut++
      }
    },
  }

  /** Runs `emit` without exporting what it emits (an importer's re-emit). */
  passing(emit: () => void): void {
    this.#passing = true
    try {
      emit()
    } finally {
      this.#passing = false
    }
  }

  /** Subscribes to the importers' requests and links, then announces. */
  start(): void {
    for (const service of this.#exports) {
      this.#subs.push(
        this.#host.nc.subscribe(whoSubject(this.#namespace, service), {
          callback: () => this.#announce(service, true),
        }),
        this.#host.nc.subscribe(
          federationLinkInbox(this.#namespace, service, 'in', this.#host.self),
          {
            callback: (error, msg) => {
              if (error === null) this.#inbound(service, msg)
            },
          },
        ),
      )
    }
    this.tick()
  }

  /** Re-reads the local services: announces what changed (everything, every TTL/3). */
  tick(): void {
    if (this.#stopped) return
    const force = Date.now() - this.#announcedAt > this.#host.settings.registryTtl / 3
    if (force) this.#announcedAt = Date.now()
    const manifests = this.#host.local.read(this.#host.kernel)
    for (const service of this.#exports) this.#announce(service, force, manifests)
  }

  /** Withdraws every exported service (importers detach them) and closes the links. */
  stop(error: PlexusError): void {
    this.withdraw()
    this.#closed = true
    for (const sub of this.#subs.splice(0)) sub.unsubscribe()
    for (const link of [...this.#links.values()]) link.close(error, true)
  }

  /** Announces that nothing is served any more, keeping the links for calls already sent. */
  withdraw(): void {
    if (this.#stopped) return
    for (const service of this.#exports) this.#publish(service, [])
    this.#stopped = true
  }

  #announce(service: string, force: boolean, local?: ServiceManifest[]): void {
    if (this.#stopped) return
    const all = local ?? this.#host.local.read(this.#host.kernel)
    const manifests = all.filter((m) => m.name === service)
    const body = JSON.stringify(manifests)
    if (!force && this.#last.get(service) === body) return
    this.#publish(service, manifests)
  }

  #publish(service: string, services: ServiceManifest[]): void {
    if (this.#stopped) return
    this.#last.set(service, JSON.stringify(services))
    const { cluster, node } = this.#host.self
    const announcement: FederationAnnouncement = {
      cluster,
      node,
      instance: this.#host.instance,
      services,
    }
    this.#host.nc.publish(hereSubject(this.#namespace, service), JSON.stringify(announcement))
  }

  /** `…in.link.<self cluster>.<self node>.<from cluster>.<from node>` */
  #inbound(service: string, msg: Msg): void {
    if (this.#closed) return
    const tokens = msg.subject.split('.')
    const fromNode = tokens.pop() ?? ''
    const fromCluster = tokens.pop() ?? ''
    const sender = msg.headers?.get(LINK_HEADERS.from) ?? ''
    const to = msg.headers?.get(LINK_HEADERS.to) ?? ''
    const seq = Number(msg.headers?.get(LINK_HEADERS.seq))
    if (
      !TOKEN.test(fromNode) ||
      !TOKEN.test(fromCluster) ||
      sender === '' ||
      !Number.isSafeInteger(seq) ||
      seq < 1
    ) {
      this.#host.refused()
      return
    }
    const key = `${service}/${fromCluster}.${fromNode}`
    let link = this.#links.get(key)
    if (to !== '' && link?.id !== to) return
    if (link?.peerLink !== undefined && link.peerLink !== sender) {
      link.close(reset(key), false)
      link = undefined
    }
    if (link === undefined) {
      if (this.#links.size >= MAX_LINKS) {
        this.#host.refused()
        return
      }
      const opened: FederationLink = new FederationLink(
        this.#host,
        this.#namespace,
        service,
        { cluster: fromCluster, node: fromNode },
        'exporter',
        (closed) => {
          if (this.#links.get(key) === closed) this.#links.delete(key)
        },
      )
      this.#links.set(key, opened)
      link = opened
    }
    link.accept(sender, seq, msg.data)
  }
}

function reset(key: string): PlexusError {
  return new PlexusError('UNAVAILABLE', `Federated node '${key}' opened a new link`, {
    retryable: true,
    data: { node: key, reason: 'peer-reset' },
  })
}
