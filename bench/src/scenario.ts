/**
 * What a scenario file exports. The runner finds every file in `scenarios/`, so adding a
 * scenario (a new link, a new feature) is adding one file there.
 */

/** Request counts of one measurement. */
export interface Counts {
  warmup: number
  untimed: number
  timed: number
  /**
   * Shortest untimed pass in ms (the warm-up lasts at least half of it): a fixed count that
   * fast sides finish in a tenth of a second would measure V8's tier-up, not the steady state.
   */
  minMs?: number
}

/**
 * The implementations a scenario may compare: Plexus, the peer, and one or more floors. A
 * `plexus-*` name is Plexus with one thing changed (metrics on, the WebSocket path), compared
 * with `plexus` in the same run.
 */
export type ImplName =
  | 'plexus'
  | 'plexus-metrics'
  | 'plexus-tracing'
  | 'plexus-ws'
  | 'plexus-plain'
  | 'moleculer'
  | 'floor'
  | 'floor-coalesced'
  | 'floor-fastify'
  | 'floor-fastify-headers'
  | 'floor-no-auth'
  | 'floor-untimed'

/** One ready-to-drive implementation of a request scenario, built in a fresh process. */
export interface RequestTarget {
  /** One request; the harness awaits whatever it returns. */
  readonly op: () => unknown
  /** Items one op moves (streams); rps is reported in items per second. */
  readonly itemsPerOp?: number
  /** Bytes one op moves (streams), for MB/s. */
  readonly bytesPerOp?: number
  /** Replaces the service under load (hot-replace scenario only). */
  readonly replace?: () => Promise<unknown>
  /** Releases sockets, workers and child processes. */
  readonly close?: () => Promise<unknown> | void
}

/** Builds a request target; runs once per measurement process. */
export type RequestFactory = () => Promise<RequestTarget>

/**
 * A server this process runs while a client in a peer process drives the load (an HTTP
 * benchmark client such as autocannon): the peer is pinned to the other core, and `load` runs
 * the same warm-up and pass rule as the op loops, answering throughput and latency.
 */
export interface LoadTarget {
  /** Warm-up, then the measured pass, at `concurrency` requests in flight. */
  readonly load: (concurrency: number, counts: Counts) => Promise<Measurement>
  /** Stops the client process and the server. */
  readonly close?: () => Promise<unknown> | void
}

/** Builds a load target; runs once per measurement process. */
export type LoadFactory = () => Promise<LoadTarget>

/** Releases what a start-up measurement built. */
export type Closer = () => Promise<unknown> | void

/** What a start-up that timed itself in another process reports (see startup-dist.mjs). */
export interface SelfTimed {
  readonly ms: number
  readonly close: Closer
}

/**
 * Loads its modules (not timed), then returns `start`, which is timed from the call until it
 * resolves with everything ready, or which reports its own `ms` when the timing happens in a
 * process of its own.
 */
export type StartupFactory = () => Promise<() => Promise<Closer | SelfTimed>>

interface ScenarioBase {
  /** Short id used in the JSON, e.g. `call`. */
  readonly name: string
  /** One line for the table. */
  readonly title: string
  /** What differs between the implementations, stated in the doc. */
  readonly notes?: string
  /** Why the scenario cannot run here (missing binary), or undefined when it can. */
  readonly unavailable?: () => string | undefined
}

/** Throughput and latency of request/response-like operations at several concurrencies. */
export interface RequestScenario extends ScenarioBase {
  readonly kind: 'requests'
  /** Requests in the untimed pass of a full run (quick runs use a fifth). */
  readonly requests: number
  /** Concurrencies to measure; default [1, 100]. */
  readonly concurrency?: readonly number[]
  /**
   * Shortest untimed pass of a full run in ms (default 1000; the warm-up lasts half of it):
   * more for links across processes, whose JIT and buffers take seconds to settle. Every side
   * of the scenario gets the same.
   */
  readonly minPassMs?: number
  readonly impls: Partial<Record<ImplName, RequestFactory | LoadFactory>>
}

/** RSS and heap after warm-up and GC. */
export interface MemoryScenario extends ScenarioBase {
  readonly kind: 'memory'
  /** Requests made before measuring, so lazy paths are allocated. */
  readonly warmup: number
  readonly impls: Partial<Record<ImplName, RequestFactory>>
}

/** Milliseconds from "nothing" to "ready", imports excluded. */
export interface StartupScenario extends ScenarioBase {
  readonly kind: 'startup'
  readonly impls: Partial<Record<ImplName, StartupFactory>>
}

/** Latency while the service is replaced, against the steady state. */
export interface ReplaceScenario extends ScenarioBase {
  readonly kind: 'replace'
  /** Requests per pass at c100 (quick runs use a fifth). */
  readonly requests: number
  readonly impls: Partial<Record<ImplName, RequestFactory>>
}

/** Any scenario a file in `scenarios/` may export as default. */
export type Scenario = RequestScenario | MemoryScenario | StartupScenario | ReplaceScenario

/** Identity helper that keeps scenario files typed. */
export function defineScenario<S extends Scenario>(scenario: S): S {
  return scenario
}

/** One measurement as a child process reports it. */
export interface Measurement {
  rps?: number
  p50_us?: number
  p99_us?: number
  mb_s?: number
  rss_mb?: number
  heap_mb?: number
  ms?: number
  switch_p50_us?: number
  switch_p99_us?: number
  switch_ms?: number
  errors?: number
  /** Load scenarios: requests the client sent in all, warm-up included. */
  requests?: number
  /**
   * Load scenarios: CPU time (user + system) of the measured process per request of the
   * measured pass: what the server spends per request at steady state, whatever the client's speed.
   */
  cpu_us?: number
  /** Load scenarios: the same over the warm-up and the pass together (JIT and first connections in). */
  cpu_all_us?: number
}
