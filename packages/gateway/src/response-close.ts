import type { ServerResponse } from 'node:http'
import type { EdgeDrain } from './edge-drain.js'
import type { GatewayCounters } from './gateway-stats.js'

/**
 * The one `close` listener a gateway puts on each plain HTTP response, built once per gateway:
 * `this` is the response, so a request pays no closure, and no fastify `onResponse` hook (which
 * would add two listeners, a closure and two clock reads per request). A response closes once
 * its answer is written or its client goes away.
 */
export function responseClose(
  counters: GatewayCounters,
  edge: EdgeDrain,
): (this: ServerResponse) => void {
  return function closed(this: ServerResponse) {
    counters.inFlight--
    const status = this.statusCode
    if (status >= 500) counters.serverErrors++
    else if (status >= 400) counters.clientErrors++
    edge.settle(this)
  }
}
