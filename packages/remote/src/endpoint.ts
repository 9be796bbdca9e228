import { PlexusError } from '@plexus/kernel'

/** Where a link listens or dials: scheme, host, port and (WebSocket) path. */
export interface Endpoint {
  readonly scheme: 'tcp' | 'tls' | 'ws' | 'wss'
  readonly host: string
  readonly port: number
  readonly path: string
}

/** Parses `tcp://127.0.0.1:7070`, `tls://…`, `ws://127.0.0.1:7071/plexus/link`; port 0 = any free. */
export function parseEndpoint(text: string, key: string): Endpoint {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalid(key, text)
  }
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== 'tcp' && scheme !== 'tls' && scheme !== 'ws' && scheme !== 'wss') {
    throw invalid(key, text)
  }
  const port = url.port === '' ? NaN : Number(url.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(key, text)
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { scheme, host, port, path: url.pathname === '' ? '/' : url.pathname }
}

/** The URL of a bound endpoint (with the port the system chose). */
export function formatEndpoint(endpoint: Endpoint, port: number): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host
  const path = endpoint.scheme === 'ws' || endpoint.scheme === 'wss' ? endpoint.path : ''
  return `${endpoint.scheme}://${host}:${port}${path}`
}

function invalid(key: string, value: string): PlexusError {
  return new PlexusError(
    'INVALID_CONFIG',
    `${key}: expected 'tcp://host:port', 'tls://host:port' or 'ws://host:port/path', got ${JSON.stringify(value)}`,
    { data: { key, value, expected: 'tcp://host:port | tls://host:port | ws://host:port/path' } },
  )
}
