import type { ServiceStatus } from '@plexus/kernel'
import { MicroService, type MicroHost } from './micro-service.js'

/** What the micro facade shows: exposed services and what it refused. */
export interface MicroView {
  /** Services exposed as NATS micro services now. */
  readonly services: number
  /** Facade requests refused before reaching the kernel (bad JSON, `__proto__`, oversized, no reply). */
  readonly refused: number
}

/** Micro endpoint and service names must match ADR-32's pattern (and be one subject token). */
const MICRO_NAME = /^[A-Za-z0-9_-]+$/

/**
 * Keeps one `MicroService` per exposed local service, in step with the kernel: re-read every
 * `interval` ms, a service that starts running here is exposed, one whose current version or
 * actions changed is exposed anew (a new micro id), one that stopped here is withdrawn.
 */
export class MicroFacade implements MicroView {
  readonly #host: Omit<MicroHost, 'refused'>
  readonly #only: ReadonlySet<string> | undefined
  readonly #exposed = new Map<string, MicroService>()
  readonly #skipped = new Set<string>()
  #refused = 0
  #timer: NodeJS.Timeout | undefined

  /** `only`: the service names to expose, or undefined for every local service. */
  constructor(host: Omit<MicroHost, 'refused'>, only: readonly string[] | undefined) {
    this.#host = host
    this.#only = only === undefined ? undefined : new Set(only)
  }

  get services(): number {
    return this.#exposed.size
  }

  get refused(): number {
    return this.#refused
  }

  /** Exposes what runs now and follows the kernel every `interval` ms. */
  start(interval: number): void {
    this.refresh()
    this.#timer = setInterval(() => this.refresh(), interval)
    this.#timer.unref()
  }

  /** Withdraws every service (first in a stop, so NATS clients move to the other nodes). */
  stop(): void {
    clearInterval(this.#timer)
    for (const service of this.#exposed.values()) service.stop()
    this.#exposed.clear()
  }

  /** One pass over the kernel's services. */
  refresh(): void {
    const wanted = new Map<string, ServiceStatus>()
    for (const status of this.#host.kernel.services()) {
      if (!status.current || status.state !== 'running') continue
      if (!status.instances.some((i) => i.local && i.state === 'running')) continue
      if (this.#only !== undefined && !this.#only.has(status.name)) continue
      if (MICRO_NAME.test(status.name)) wanted.set(status.name, status)
    }
    for (const [name, service] of this.#exposed) {
      const status = wanted.get(name)
      if (status === undefined || !same(service, status, this.#actions(status))) {
        service.stop()
        this.#exposed.delete(name)
      }
    }
    for (const [name, status] of wanted) {
      if (this.#exposed.has(name)) continue
      const service = new MicroService(
        { ...this.#host, refused: () => void this.#refused++ },
        name,
        status.version,
        this.#actions(status),
      )
      service.start()
      this.#exposed.set(name, service)
      this.#host.logger.debug({ service: name, id: service.id }, 'Exposed as a NATS micro service')
    }
  }

  #actions(status: ServiceStatus): string[] {
    return status.actions.filter((action) => {
      if (MICRO_NAME.test(action)) return true
      const key = `${status.name}.${action}`
      if (!this.#skipped.has(key)) {
        this.#skipped.add(key)
        this.#host.logger.warn(
          { action: key },
          'Action not exposed on the micro facade (its name is not a micro endpoint name)',
        )
      }
      return false
    })
  }
}

function same(service: MicroService, status: ServiceStatus, actions: string[]): boolean {
  return (
    service.version === status.version &&
    service.actions.length === actions.length &&
    service.actions.every((a, i) => a === actions[i])
  )
}
