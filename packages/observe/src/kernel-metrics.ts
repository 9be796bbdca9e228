import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { Kernel, KernelState, ServiceStatus } from '@plexus/kernel'
import type { EdgeFigures } from './edge-figures.js'
import { registerEdgeMetrics } from './edge-metrics.js'

/** What the metrics read and how. */
export interface MetricsOptions {
  /** Node's process metrics (`process_*`, `nodejs_*`) from prom-client (default true). */
  defaultMetrics?: boolean
  /** The gateway's figures, when a gateway runs (adds the `plexus_http_*` series). */
  edge?: () => EdgeFigures
}

/** A registry that reads a kernel's figures when scraped. */
export interface PlexusMetrics {
  /** The prom-client registry (add your own metrics to it). */
  readonly registry: Registry
  /** The text exposition, read from the kernel now. */
  scrape(): Promise<string>
  /** The exposition's content type. */
  readonly contentType: string
}

const MISNAMED = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]
const STATES: readonly KernelState[] = ['idle', 'starting', 'running', 'stopping', 'stopped']
const QUANTILES = [
  ['p50', '0.5'],
  ['p99', '0.99'],
] as const

/**
 * Builds the Plexus metrics over a kernel. Every `plexus_*` series is computed at scrape time
 * from `kernel.services()`, `kernel.counters`, `kernel.pendingCalls` and `kernel.openStreams`:
 * the message path pays nothing. Labels come only from bounded sets (service, version,
 * placement, instance id, outcome, state), never from inputs or topics.
 */
export function createMetrics(kernel: Kernel<any>, options: MetricsOptions = {}): PlexusMetrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry })
    // prom-client names these gauges `_total`, which promtool (rightly) rejects: left out.
    for (const name of MISNAMED) registry.removeSingleMetric(name)
  }
  // One snapshot per scrape, shared by every collector below.
  let services: ServiceStatus[] = []
  const registers = [registry]
  const instanceLabels = ['service', 'version', 'placement', 'node', 'instance_id'] as const
  const eachInstance = (
    fn: (
      labels: Record<(typeof instanceLabels)[number], string>,
      i: ServiceStatus['instances'][number],
    ) => void,
  ) => {
    for (const s of services) {
      for (const i of s.instances) {
        fn(
          {
            service: s.name,
            version: String(s.version),
            placement: i.placement,
            node: i.node,
            instance_id: i.id,
          },
          i,
        )
      }
    }
  }

  new Gauge({
    name: 'plexus_kernel_state',
    help: 'The kernel state: 1 for the current one, 0 for the others.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const state of STATES) this.set({ state }, kernel.state === state ? 1 : 0)
    },
  })
  kernelGauge(
    'plexus_pending_calls',
    'Calls awaiting an answer now (tracked by the deadline wheel).',
    () => kernel.pendingCalls,
  )
  kernelGauge('plexus_open_streams', 'Streams and channels open now.', () => kernel.openStreams)
  kernelCounter(
    'plexus_event_errors_total',
    'Event deliveries that ended in an error.',
    () => kernel.counters.eventErrors,
  )
  kernelCounter(
    'plexus_events_unrouted_total',
    'Events emitted that no service subscribed to.',
    () => kernel.counters.eventsUnrouted,
  )
  kernelCounter(
    'plexus_send_errors_total',
    'Fire-and-forget requests that failed.',
    () => kernel.counters.sendErrors,
  )

  new Gauge({
    name: 'plexus_service_state',
    help: 'A service version in its current lifecycle state (registered, starting, running, draining, stopped, failed): always 1.',
    labelNames: ['service', 'version', 'state'],
    registers,
    collect() {
      this.reset()
      for (const s of services)
        this.set({ service: s.name, version: String(s.version), state: s.state }, 1)
    },
  })
  new Gauge({
    name: 'plexus_service_current_version',
    help: 'The version unpinned addresses of a service reach now.',
    labelNames: ['service'],
    registers,
    collect() {
      this.reset()
      for (const s of services) if (s.current) this.set({ service: s.name }, s.version)
    },
  })
  new Gauge({
    name: 'plexus_instance_up',
    help: 'Whether an instance is running (1) or not (0: starting, draining, restarting, stopped, failed).',
    labelNames: instanceLabels,
    registers,
    collect() {
      this.reset()
      eachInstance((labels, i) => this.set(labels, i.state === 'running' ? 1 : 0))
    },
  })
  new Counter({
    name: 'plexus_messages_total',
    help: 'Messages (calls, events, streams) an instance finished handling, by outcome (ok or error).',
    labelNames: [...instanceLabels, 'outcome'],
    registers,
    collect() {
      this.reset()
      eachInstance((labels, i) => {
        this.inc({ ...labels, outcome: 'ok' }, i.count - i.errors)
        this.inc({ ...labels, outcome: 'error' }, i.errors)
      })
    },
  })
  new Gauge({
    name: 'plexus_messages_in_flight',
    help: 'Messages an instance is handling now.',
    labelNames: instanceLabels,
    registers,
    collect() {
      this.reset()
      eachInstance((labels, i) => this.set(labels, i.inFlight))
    },
  })
  // Two gauges rather than one with a `quantile` label: that label belongs to summaries, and the
  // kernel keeps no sum or count of durations to make one.
  for (const [key, q] of QUANTILES) {
    new Gauge({
      name: `plexus_message_duration_${key}_seconds`,
      help: `Handling time at the ${q} quantile of the instance's recent samples (one message in 64, last 256 samples); 0 before any sample.`,
      labelNames: instanceLabels,
      registers,
      collect() {
        this.reset()
        eachInstance((labels, i) => this.set(labels, i[key] / 1000))
      },
    })
  }
  new Counter({
    name: 'plexus_instance_restarts_total',
    help: 'Restarts of an instance slot by its supervisor (worker and process placements).',
    labelNames: instanceLabels,
    registers,
    collect() {
      this.reset()
      eachInstance((labels, i) => this.inc(labels, i.restarts))
    },
  })
  new Counter({
    name: 'plexus_link_refused_total',
    help: "Envelopes refused on an instance's link (malformed or illegal); always 0 inline.",
    labelNames: instanceLabels,
    registers,
    collect() {
      this.reset()
      eachInstance((labels, i) => this.inc(labels, i.refused))
    },
  })
  if (options.edge !== undefined) registerEdgeMetrics(registry, options.edge)

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      services = kernel.services()
      try {
        return await registry.metrics()
      } finally {
        services = []
      }
    },
  }

  function kernelGauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read())
      },
    })
  }
  function kernelCounter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  }
}
