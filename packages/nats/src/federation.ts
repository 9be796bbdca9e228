import type { Interceptor, PlexusError } from '@plexus/kernel'
import { FederationExporter } from './federation-exporter.js'
import { FederationImporter } from './federation-importer.js'
import type { FederationHost } from './federation-link.js'
import type { FederationSettings } from './federation-options.js'

/** Federation as the plug-in shows it (docs/cluster.md, "Federation"). */
export interface FederationView {
  /** This cluster's name. */
  readonly cluster: string
  /** Links open to exporting nodes of other clusters (this node imports). */
  readonly importing: number
  /** Links open from importing nodes of other clusters (this node exports). */
  readonly exporting: number
  /** Events of exported services published to other clusters. */
  readonly eventsOut: number
  /** Events of imported services received and emitted here. */
  readonly eventsIn: number
  /** Federation messages refused (bad headers, not a link of ours, not exported, bad shape). */
  readonly refused: number
}

/**
 * Federation of this node with other clusters: the exporting side (announces its exported
 * services, serves them over federation links, publishes their events) and the importing side
 * (attaches the exported services of other clusters, re-emits their events here). Both follow
 * the kernel on the plug-in's refresh tick.
 */
export class Federation implements FederationView {
  readonly cluster: string
  readonly #exporter: FederationExporter
  readonly #importer: FederationImporter
  readonly #refused: { n: number }
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(host: Omit<FederationHost, 'standby' | 'refused'>, settings: FederationSettings) {
    this.cluster = settings.cluster
    const refused = { n: 0 }
    this.#refused = refused
    const full: FederationHost = {
      ...host,
      refused: () => void refused.n++,
      // The importer exists before any link asks (links are opened after start).
      standby: (service, version) => this.#importer.standby(service, version),
    }
    this.#exporter = new FederationExporter(full, settings.exports)
    this.#importer = new FederationImporter(full, settings.imports, (topic, payload, meta) =>
      this.#exporter.passing(() =>
        host.kernel.emit(topic, payload, meta === undefined ? undefined : { meta }),
      ),
    )
  }

  /** The emit interceptor that exports events (install before the kernel compiles handlers). */
  get interceptor(): Interceptor {
    return this.#exporter.interceptor
  }

  get importing(): number {
    return this.#importer.links
  }

  get exporting(): number {
    return this.#exporter.links
  }

  get eventsOut(): number {
    return this.#exporter.eventsOut
  }

  get eventsIn(): number {
    return this.#importer.eventsIn
  }

  get refused(): number {
    return this.#refused.n
  }

  /** Starts both sides and follows the kernel every `interval` ms. */
  start(interval: number): void {
    this.#exporter.start()
    this.#importer.start()
    this.#timer = setInterval(() => {
      this.#exporter.tick()
      this.#importer.tick()
    }, interval)
    this.#timer.unref()
  }

  /** First half of a graceful stop: other clusters stop routing here. */
  withdraw(): void {
    this.#exporter.withdraw()
  }

  /** Closes every federation link. */
  stop(error: PlexusError): void {
    clearInterval(this.#timer)
    this.#exporter.stop(error)
    this.#importer.stop(error)
  }
}
