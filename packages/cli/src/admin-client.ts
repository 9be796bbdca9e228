import { request } from 'node:http'
import { PlexusError } from '@plexus/kernel'
import { readRunFile } from './run-file.js'

/**
 * One request to a running kernel's admin endpoint, found through the run file in `dir`, with
 * the run file's admin token or `token` (a JWT the kernel's verifier accepts). An error answer
 * is rethrown as the PlexusError it carries.
 */
export async function adminRequest(
  dir: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 60_000,
  token?: string,
): Promise<unknown> {
  const info = await readRunFile(dir)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: info.port,
          method,
          path,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${token ?? info.token}`,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () =>
        req.destroy(
          new PlexusError('TIMEOUT', `Admin endpoint did not answer within ${timeoutMs} ms`),
        ),
      )
      req.on('error', (error) =>
        reject(
          error instanceof PlexusError
            ? error
            : new PlexusError(
                'UNAVAILABLE',
                `Cannot reach the kernel's admin endpoint on 127.0.0.1:${info.port}: ${error.message}`,
              ),
        ),
      )
      req.end(payload)
    },
  )
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch {
    throw new PlexusError(
      'PROTOCOL',
      `Admin endpoint answered ${status} with non-JSON: ${text.slice(0, 200)}`,
    )
  }
  const error = (answer as { error?: unknown }).error
  if (status >= 400 || error !== undefined) throw PlexusError.fromJSON(error)
  return answer
}
