import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Kernel, ServiceStatus } from '@plexus/kernel'
import type { DashboardGuard } from './dashboard-guard.js'
import { dashboardPage } from './dashboard-page.js'
import type { GatewayStats } from './gateway-stats.js'
import { RecentEvents } from './recent-events.js'
import { statusChanges } from './status-diff.js'
import type { TraceLinkOptions } from './options.js'
import { closeAtExpiry } from './ws-endpoint.js'

/** What the dashboard pushes every interval. */
export interface DashboardSnapshot {
  at: number
  kernel: { state: string; pendingCalls: number; openStreams: number; counters: object }
  services: ServiceStatus[]
  gateway: GatewayStats & { requestRate: number }
  events: ReturnType<RecentEvents['list']>
}

// A dashboard viewer that stops reading is skipped, not buffered for.
const MAX_VIEWER_BACKLOG = 1024 * 1024

/** The live dashboard: a page, a JSON snapshot and a socket pushing snapshots. */
export class Dashboard {
  readonly #kernel: Kernel<any>
  readonly #stats: () => GatewayStats
  readonly #recent = new RecentEvents()
  readonly #viewers = new Set<WebSocket>()
  readonly #interval: number
  readonly #guard: DashboardGuard
  readonly #traceLinks: TraceLinkOptions | undefined
  #timer: NodeJS.Timeout | undefined
  // Empty at first, so the first snapshot lists every service as registered.
  #last: ServiceStatus[] = []
  #lastRequests = 0
  #lastAt = Date.now()
  #active = true

  constructor(
    kernel: Kernel<any>,
    stats: () => GatewayStats,
    options: {
      interval: number
      guard: DashboardGuard
      traceLinks?: TraceLinkOptions | undefined
    },
  ) {
    this.#kernel = kernel
    this.#stats = stats
    this.#interval = options.interval
    this.#guard = options.guard
    this.#traceLinks = options.traceLinks
    const traced = options.traceLinks !== undefined
    // Bus events are read on the emit path; the step stays in place after close but does nothing.
    // The trace id is read only when the page links to traces.
    kernel.intercept({
      name: 'gateway-dashboard',
      emit: (next) => (topic, payload, emitOptions, caller) => {
        if (this.#active) {
          const traceId = traced
            ? traceIdOf(emitOptions?.meta?.['traceparent'] ?? caller?.peekMeta()?.['traceparent'])
            : undefined
          this.#recent.push(
            traceId === undefined
              ? { at: Date.now(), kind: 'event', text: topic }
              : { at: Date.now(), kind: 'event', text: topic, traceId },
          )
        }
        next(topic, payload, emitOptions, caller)
      },
    })
  }

  /** Registers the page, the snapshot and the live socket under `path`. */
  register(scope: FastifyInstance, path: string): void {
    const guard = async (request: FastifyRequest): Promise<void> => this.#guard.check(request)
    scope.get(path, { onRequest: guard }, async (_request, reply) => {
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header(
          'content-security-policy',
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        )
        .send(
          dashboardPage({
            livePath: `${path}/live`,
            interval: this.#interval,
            traceLinks: this.#traceLinks,
          }),
        )
    })
    scope.get(`${path}/snapshot`, { onRequest: guard }, async () => this.snapshot())
    scope.get(
      `${path}/live`,
      { websocket: true, onRequest: guard },
      (socket: WebSocket, request: FastifyRequest) => {
        this.#viewers.add(socket)
        // A viewer let in with a token is cut off when it expires, as API sockets are.
        closeAtExpiry(socket, this.#guard.principalOf(request))
        socket.on('error', () => {})
        socket.once('close', () => {
          this.#viewers.delete(socket)
          if (this.#viewers.size === 0) this.#stopTimer()
        })
        socket.send(JSON.stringify({ type: 'snapshot', ...this.snapshot() }))
        this.#timer ??= setInterval(() => this.#push(), this.#interval)
      },
    )
  }

  /** The current figures; also records lifecycle changes since the last call. */
  snapshot(): DashboardSnapshot {
    const now = Date.now()
    const services = this.#kernel.services()
    for (const text of statusChanges(this.#last, services)) {
      this.#recent.push({ at: now, kind: 'lifecycle', text })
    }
    this.#last = services
    const stats = this.#stats()
    const seconds = Math.max((now - this.#lastAt) / 1000, 0.001)
    const requestRate = Math.round((stats.requests - this.#lastRequests) / seconds)
    this.#lastRequests = stats.requests
    this.#lastAt = now
    return {
      at: now,
      kernel: {
        state: this.#kernel.state,
        pendingCalls: this.#kernel.pendingCalls,
        openStreams: this.#kernel.openStreams,
        counters: { ...this.#kernel.counters },
      },
      services,
      gateway: { ...stats, requestRate },
      events: this.#recent.list(),
    }
  }

  /** Stops pushing and closes every viewer. */
  close(): void {
    this.#active = false
    this.#stopTimer()
    for (const viewer of this.#viewers) viewer.terminate()
    this.#viewers.clear()
  }

  #push(): void {
    const frame = JSON.stringify({ type: 'snapshot', ...this.snapshot() })
    for (const viewer of this.#viewers) {
      if (viewer.readyState === viewer.OPEN && viewer.bufferedAmount < MAX_VIEWER_BACKLOG) {
        viewer.send(frame)
      }
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/

/** The trace id of a W3C `traceparent`, unless it is malformed or the all-zero invalid id. */
function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined
  const id = TRACEPARENT.exec(traceparent)?.[1]
  return id === undefined || /^0+$/.test(id) ? undefined : id
}
