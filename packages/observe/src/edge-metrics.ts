import { Counter, Gauge, type Registry } from 'prom-client'
import type { EdgeFigures } from './edge-figures.js'

/** Adds the gateway's series (`plexus_http_*`, `plexus_websocket_*`), read at scrape time. */
export function registerEdgeMetrics(registry: Registry, edge: () => EdgeFigures): void {
  const registers = [registry]
  const counter = (name: string, help: string, read: (f: EdgeFigures) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read(edge()))
      },
    })
  const gauge = (name: string, help: string, read: (f: EdgeFigures) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(edge()))
      },
    })

  counter('plexus_http_requests_total', 'HTTP requests the gateway received.', (f) => f.requests)
  gauge(
    'plexus_http_requests_in_flight',
    'HTTP requests the gateway is answering now.',
    (f) => f.inFlight,
  )
  new Counter({
    name: 'plexus_http_error_responses_total',
    help: 'Gateway answers with an error status, by class (4xx, 5xx).',
    labelNames: ['class'],
    registers,
    collect() {
      const f = edge()
      this.reset()
      this.inc({ class: '4xx' }, f.clientErrors)
      this.inc({ class: '5xx' }, f.serverErrors)
    },
  })
  gauge(
    'plexus_http_open_streams',
    'Streams open now through the gateway (HTTP and WebSocket).',
    (f) => f.openStreams,
  )
  gauge('plexus_websocket_connections', 'WebSocket connections open now.', (f) => f.sockets)
  counter(
    'plexus_websocket_slow_clients_cut_total',
    'WebSocket clients cut off for not reading fast enough.',
    (f) => f.slowClientsCut,
  )
  counter(
    'plexus_websocket_dropped_messages_total',
    'Messages not delivered because their client was cut off or gone.',
    (f) => f.droppedMessages,
  )
}
