/**
 * What a scenario file exports. The runner finds every file in `scenarios/`, so adding a
 * scenario (a new link, a new feature) is adding one file there.
 */

/** The implementations a scenario may compare: Plexus, the peer, and one or more floors. */
export type ImplName = 'plexus' | 'moleculer' | 'floor' | 'floor-coalesced'

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
  readonly impls: Partial<Record<ImplName, RequestFactory>>
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
}
