import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Kernel, ServiceStatus } from '@plexus/kernel'
import type { DashboardGuard } from './dashboard-guard.js'
import { dashboardPage } from './dashboard-page.js'
import type { GatewayStats } from './gateway-stats.js'
import { RecentEvents } from './recent-events.js'
import { statusChanges } from './status-diff.js'
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
  #timer: NodeJS.Timeout | undefined
  // Empty at first, so the first snapshot lists every service as registered.
  #last: ServiceStatus[] = []
  #lastRequests = 0
  #lastAt = Date.now()
  #active = true

  constructor(
    kernel: Kernel<any>,
    stats: () => GatewayStats,
    options: { interval: number; guard: DashboardGuard },
  ) {
    this.#kernel = kernel
    this.#stats = stats
    this.#interval = options.interval
    this.#guard = options.guard
    // Bus events are read on the emit path; the step stays in place after close but does nothing.
    kernel.intercept({
      name: 'gateway-dashboard',
      emit: (next) => (topic, payload, options, caller) => {
        if (this.#active) this.#recent.push({ at: Date.now(), kind: 'event', text: topic })
        next(topic, payload, options, caller)
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
        .send(dashboardPage(`${path}/live`))
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
