import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { createKernel, silentLogger, type Kernel, type ServiceDefinition } from '@plexus/kernel'
import { createGateway, type Gateway, type GatewayOptions } from '@plexus/gateway'

/** A started kernel with the given services, stopped by `t.after`. */
export async function startKernel(
  t: { after(fn: () => Promise<void> | void): void },
  ...services: ServiceDefinition[]
): Promise<Kernel<any>> {
  const kernel: Kernel<any> = createKernel({ logger: silentLogger })
  for (const s of services) kernel.add(s)
  await kernel.start()
  t.after(() => kernel.stop())
  return kernel
}

/** A gateway listening on a free loopback port, closed by `t.after`. */
export interface Running {
  gateway: Gateway
  base: string
  port: number
}

/** Starts a gateway on 127.0.0.1:0 and registers its close with the test. */
export async function startGateway(
  t: { after(fn: () => Promise<void> | void): void },
  kernel: Kernel<any>,
  options: GatewayOptions = {},
): Promise<Running> {
  const gateway = createGateway(kernel, { host: '127.0.0.1', port: 0, ...options })
  const { port } = await gateway.listen()
  t.after(() => gateway.close())
  return { gateway, base: `http://127.0.0.1:${port}`, port }
}

/** A plain HTTP answer. */
export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json: any
}

/** One HTTP request with node:http (no keep-alive), body as text. */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

/** JSON request helper. */
export function sendJson(url: string, method: string, body: unknown): Promise<Answer> {
  return send(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
