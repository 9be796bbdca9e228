import type { Msg, Subscription } from '@nats-io/transport-node'
import { PlexusError, type Meta, type ServiceManifest } from '@plexus/kernel'
import type { FederationAnnouncement } from './federation-exporter.js'
import { FederationLink, type FederationHost } from './federation-link.js'
import type { FederationImport } from './federation-options.js'
import {
  ORIGIN_HEADER,
  eventSubject,
  federationLinkInbox,
  hereSubject,
  whoSubject,
} from './federation-subjects.js'
import { LINK_HEADERS } from './subjects.js'

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/
/** Exporting nodes one import tracks at once (announcements beyond it are refused). */
const MAX_EXPORTERS = 256

interface Exporter {
  instance: string
  services: ServiceManifest[]
  heardAt: number
  link: FederationLink | undefined
}

/**
 * The importing side of federation on one node, for each imported service: listens to the
 * exporting nodes' announcements, opens one federation link per exporting node (this side is
 * the initiator) and attaches the versions announced, so `kernel.call('catalog.get')` reaches
 * them by the usual address. Those instances stand by while this cluster runs the same version
 * itself. Events of the service arrive on a queue subscription named after this cluster, so
 * one node of the cluster re-emits each of them here (and the kernel routes it as usual).
 */
export class FederationImporter {
  readonly #host: FederationHost
  readonly #imports: readonly FederationImport[]
  readonly #reemit: (topic: string, payload: unknown, meta: Meta | undefined) => void
  readonly #exporters = new Map<string, Exporter>()
  readonly #subs: Subscription[] = []
  #standby = new Set<string>()
  #stopped = false
  /** Events received from other clusters and emitted here. */
  eventsIn = 0

  constructor(
    host: FederationHost,
    imports: readonly FederationImport[],
    reemit: (topic: string, payload: unknown, meta: Meta | undefined) => void,
  ) {
    this.#host = host
    this.#imports = imports
    this.#reemit = reemit
  }

  /** Federation links open to exporting nodes. */
  get links(): number {
    let n = 0
    for (const e of this.#exporters.values()) if (e.link !== undefined) n++
    return n
  }

  /** Whether this cluster runs `service@version` itself (as of the last tick). */
  standby(service: string, version: number): boolean {
    return this.#standby.has(`${service}@${version}`)
  }

  /** Subscribes per imported service, then asks the exporters to announce themselves. */
  start(): void {
    const { nc, self } = this.#host
    for (const { namespace, service } of this.#imports) {
      this.#subs.push(
        nc.subscribe(hereSubject(namespace, service), {
          callback: (error, msg) => {
            if (error === null) this.#announced(namespace, service, msg)
          },
        }),
        nc.subscribe(eventSubject(namespace, service), {
          queue: `plexus-${self.cluster}`,
          callback: (error, msg) => {
            if (error === null) this.#event(msg)
          },
        }),
        nc.subscribe(federationLinkInbox(namespace, service, 'out', self), {
          callback: (error, msg) => {
            if (error === null) this.#inbound(namespace, service, msg)
          },
        }),
      )
    }
    this.tick()
    for (const { namespace, service } of this.#imports) nc.publish(whoSubject(namespace, service))
  }

  /** Recomputes which versions stand by; forgets exporters silent for longer than the TTL. */
  tick(): void {
    if (this.#stopped) return
    const imported = new Set(this.#imports.map((i) => i.service))
    const standby = new Set<string>()
    for (const status of this.#host.kernel.services()) {
      if (!imported.has(status.name)) continue
      const own = status.instances.some((i) => i.placement !== 'federated' && i.state === 'running')
      if (own) standby.add(`${status.name}@${status.version}`)
    }
    this.#standby = standby
    const stale = Date.now() - this.#host.settings.registryTtl
    for (const [key, exporter] of this.#exporters) {
      if (exporter.heardAt >= stale) continue
      this.#exporters.delete(key)
      exporter.link?.close(left(key), true)
    }
  }

  /** Closes every link (the kernel is stopping). */
  stop(error: PlexusError): void {
    this.#stopped = true
    for (const sub of this.#subs) sub.unsubscribe()
    for (const exporter of this.#exporters.values()) exporter.link?.close(error, true)
    this.#exporters.clear()
  }

  #announced(namespace: string, service: string, msg: Msg): void {
    if (this.#stopped) return
    let a: FederationAnnouncement
    try {
      a = msg.json<FederationAnnouncement>()
      if (
        !TOKEN.test(String(a.cluster)) ||
        !TOKEN.test(String(a.node)) ||
        typeof a.instance !== 'string' ||
        !Array.isArray(a.services)
      ) {
        throw new Error('bad shape')
      }
    } catch {
      this.#host.refused()
      return
    }
    // This cluster's own nodes are reached by node links, never over the federation.
    if (a.cluster === this.#host.self.cluster) return
    const key = `${namespace}:${service}/${a.cluster}.${a.node}`
    let exporter = this.#exporters.get(key)
    if (exporter !== undefined && exporter.instance !== a.instance) {
      exporter.link?.close(left(key), false)
      this.#exporters.delete(key)
      exporter = undefined
    }
    const services = a.services.filter((m) => m !== null && m?.name === service)
    if (services.length === 0) {
      if (exporter !== undefined) this.#exporters.delete(key)
      exporter?.link?.close(left(key), true)
      return
    }
    if (exporter === undefined) {
      if (this.#exporters.size >= MAX_EXPORTERS) return this.#host.refused()
      exporter = { instance: a.instance, services, heardAt: Date.now(), link: undefined }
      this.#exporters.set(key, exporter)
    }
    exporter.heardAt = Date.now()
    exporter.services = services
    if (exporter.link === undefined) {
      const entry = exporter
      entry.link = new FederationLink(
        this.#host,
        namespace,
        service,
        { cluster: a.cluster, node: a.node },
        'importer',
        (closed, error) => {
          if (entry.link !== closed) return
          entry.link = undefined
          // A link that died (not a withdrawal) is reopened on the next announcement: ask now.
          const reason = (error.data as { reason?: unknown } | undefined)?.reason
          if (!this.#stopped && reason !== 'left') {
            this.#exporters.delete(key)
            this.#host.nc.publish(whoSubject(namespace, service))
          }
        },
      )
      // The initiator speaks first: its HELLO opens the exporter's side.
      entry.link.session.flush()
    }
    exporter.link?.update(services)
  }

  /** `…out.link.<self cluster>.<self node>.<from cluster>.<from node>` */
  #inbound(namespace: string, service: string, msg: Msg): void {
    if (this.#stopped) return
    const tokens = msg.subject.split('.')
    const fromNode = tokens.pop() ?? ''
    const fromCluster = tokens.pop() ?? ''
    const link = this.#exporters.get(`${namespace}:${service}/${fromCluster}.${fromNode}`)?.link
    const sender = msg.headers?.get(LINK_HEADERS.from) ?? ''
    const to = msg.headers?.get(LINK_HEADERS.to) ?? ''
    const seq = Number(msg.headers?.get(LINK_HEADERS.seq))
    // Only answers on a link this node opened (the first may not name it yet): anything else
    // is refused and counted.
    if (
      link === undefined ||
      (to !== '' && to !== link.id) ||
      sender === '' ||
      !Number.isSafeInteger(seq) ||
      seq < 1
    ) {
      this.#host.refused()
      return
    }
    if (link.peerLink !== undefined && link.peerLink !== sender) {
      link.close(left(`${fromCluster}.${fromNode}`), false)
      return
    }
    link.accept(sender, seq, msg.data)
  }

  #event(msg: Msg): void {
    if (this.#stopped) return
    if (msg.headers?.get(ORIGIN_HEADER) === this.#host.self.cluster) return
    let event: { topic?: unknown; payload?: unknown; meta?: unknown }
    try {
      event = msg.json()
    } catch {
      this.#host.refused()
      return
    }
    const imported = this.#imports.some(
      (i) => typeof event.topic === 'string' && event.topic.startsWith(`${i.service}.`),
    )
    if (!imported) {
      this.#host.refused()
      return
    }
    const meta =
      event.meta !== null && typeof event.meta === 'object' ? (event.meta as Meta) : undefined
    try {
      this.#reemit(event.topic as string, event.payload, meta)
      this.eventsIn++
    } catch (error) {
      this.#host.logger.debug({ err: error }, 'Federated event not emitted')
    }
  }
}

function left(key: string): PlexusError {
  return new PlexusError('UNAVAILABLE', `Federated node '${key}' withdrew or restarted`, {
    retryable: true,
    data: { node: key, reason: 'left' },
  })
}
