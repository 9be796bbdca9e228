import { PlexusError } from '@plexus/kernel'

/** Where a routed request's input is gathered from; later sources win on key clashes. */
export type InputSource = 'query' | 'body' | 'params'

/** A route target with options. Exactly one of `action` and `stream` is set. */
export interface RouteSpec {
  /** Request/response address, e.g. `orders.get`. */
  action?: string
  /** Request-stream address; answered as NDJSON, or SSE when the client accepts `text/event-stream`. */
  stream?: string
  /** Parts of the request merged into the input (default `['query', 'body', 'params']`). */
  input?: InputSource[]
  /** Success status (default 200). */
  status?: number
}

/** Route aliases: `'POST /api/orders': 'orders.create'` or `'GET /api/x': { stream: 'x.tail' }`. */
export type RouteTable = Readonly<Record<string, string | RouteSpec>>

/** One parsed alias. */
export interface Route {
  method: string
  path: string
  kind: 'call' | 'stream'
  address: string
  input: readonly InputSource[]
  status: number
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
const ADDRESS = /^[A-Za-z0-9_-]+(@\d+)?\.[A-Za-z0-9_$-]+$/
const SOURCES = new Set<InputSource>(['query', 'body', 'params'])

/**
 * Parses the alias table. Internal addresses (a service or action starting with `$` or `_`)
 * are refused unless `exposeInternal` is set, so admin actions never leak by accident.
 */
export function parseRoutes(table: RouteTable, exposeInternal = false): Route[] {
  return Object.entries(table).map(([key, target]) => {
    const match = /^([A-Z]+)\s+(\/\S*)$/.exec(key.trim())
    if (!match || !METHODS.has(match[1]!)) {
      throw invalid(`Invalid route '${key}': expected '<GET|POST|PUT|PATCH|DELETE> /path'`)
    }
    const spec: RouteSpec = typeof target === 'string' ? { action: target } : target
    const address = spec.action ?? spec.stream
    if ((spec.action === undefined) === (spec.stream === undefined) || address === undefined) {
      throw invalid(`Invalid route '${key}': set exactly one of 'action' and 'stream'`)
    }
    if (!ADDRESS.test(address)) {
      throw invalid(`Invalid route '${key}': '${address}' is not a 'service.action' address`)
    }
    if (!exposeInternal && /(^|\.)[$_]/.test(address)) {
      throw invalid(
        `Route '${key}' targets internal address '${address}'; set exposeInternal to allow it`,
      )
    }
    const input = spec.input ?? ['query', 'body', 'params']
    for (const source of input) {
      if (!SOURCES.has(source)) throw invalid(`Invalid route '${key}': unknown input '${source}'`)
    }
    return {
      method: match[1]!,
      path: match[2]!,
      kind: spec.action === undefined ? 'stream' : 'call',
      address,
      input,
      status: spec.status ?? 200,
    }
  })
}

/**
 * Builds a handler's input. Objects merge in the route's order into a plain object; a lone
 * non-object body (an array, a string) is passed through as it is.
 */
export function mergeInput(
  route: Route,
  parts: { query: unknown; body: unknown; params: unknown },
): unknown {
  if (route.input.length === 1) {
    const only = parts[route.input[0]!]
    if (only === null || typeof only !== 'object' || Array.isArray(only)) return only
  }
  const input: Record<string, unknown> = {}
  for (const source of route.input) {
    const part = parts[source]
    if (part === null || typeof part !== 'object' || Array.isArray(part)) continue
    // Poisoned keys were refused earlier; skipping them here keeps the merge safe on its own.
    const from = part as Record<string, unknown>
    for (const k of Object.keys(from)) if (k !== '__proto__') input[k] = from[k]
  }
  return input
}

function invalid(message: string): PlexusError {
  return new PlexusError('INVALID_ARGUMENT', message)
}
