// An OTLP/HTTP trace receiver for tests: a loopback HTTP server that takes what an exporter
// POSTs to /v1/traces (OTLP JSON) and keeps the spans, flattened.
import { createServer } from 'node:http'

/** One received span, as OTLP/JSON encodes it. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Record<string, unknown>
  status: { code?: number; message?: string }
}

/** OTLP span kinds. */
export const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const

/** A running receiver. */
export interface OtlpReceiver {
  readonly url: string
  readonly spans: ReceivedSpan[]
  readonly requests: { contentType: string | undefined }[]
  /** The resource attributes of each batch received. */
  readonly resources: Record<string, unknown>[]
  close(): Promise<void>
}

/** Starts a receiver on a free loopback port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const requests: { contentType: string | undefined }[] = []
  const resources: Record<string, unknown>[] = []
  const server = createServer((request, response) => {
    let text = ''
    request.on('data', (c: Buffer) => (text += c.toString()))
    request.on('end', () => {
      requests.push({ contentType: request.headers['content-type'] })
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end()
        return
      }
      const body = JSON.parse(text) as {
        resourceSpans: {
          resource?: { attributes?: { key: string; value: Record<string, unknown> }[] }
          scopeSpans: {
            spans: (Omit<ReceivedSpan, 'attributes'> & {
              attributes?: { key: string; value: Record<string, unknown> }[]
            })[]
          }[]
        }[]
      }
      for (const rs of body.resourceSpans) {
        const resource: Record<string, unknown> = {}
        for (const a of rs.resource?.attributes ?? []) resource[a.key] = Object.values(a.value)[0]
        resources.push(resource)
        for (const ss of rs.scopeSpans)
          for (const span of ss.spans) {
            const attributes: Record<string, unknown> = {}
            for (const a of span.attributes ?? []) attributes[a.key] = Object.values(a.value)[0]
            spans.push({ ...span, attributes })
          }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    requests,
    resources,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
