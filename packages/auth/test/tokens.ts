import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, type JWK, type JWTPayload } from 'jose'
import { createVerifier, type Verifier } from '@plexus/auth'

/** An RS256 signing key with its public JWK. */
export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  jwk: JWK
}

/** A fresh RSA key pair named `kid`. */
export function rsaKey(kid: string): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' }
  return { kid, privateKey, publicKey, jwk }
}

/**
 * A verifier of the tokens `sign` makes with `key` (RS256, `test-issuer`, `test-aud`); with a
 * `clock`, it reads time there with no tolerance, so a test can move past a token's expiry.
 */
export function testVerifier(key: SigningKey, clock?: { now(): number }): Verifier {
  return createVerifier({
    keys: [key.jwk],
    algorithms: ['RS256'],
    issuer: 'test-issuer',
    audience: 'test-aud',
    ...(clock === undefined ? {} : { clockTolerance: 0, clock }),
  })
}

/** Seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** A signed RS256 token; claims default to a valid `sub`/`iss`/`aud`/`exp`. */
export function sign(key: SigningKey, claims: JWTPayload = {}, kid = key.kid): Promise<string> {
  const now = nowSeconds()
  return new SignJWT({
    sub: 'user-1',
    iss: 'test-issuer',
    aud: 'test-aud',
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid })
    .sign(key.privateKey)
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An unsigned token (`alg: none`). */
export function noneToken(claims: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`
}

/** The confusion attack: HS256 keyed with the RS public key's PEM text. */
export function hsWithPublicKey(key: SigningKey, claims: JWTPayload): string {
  const input = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(claims)}`
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' })
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`
}

/** A token with one character of its signature changed. */
export function tamper(token: string, at: number): string {
  const dot = token.lastIndexOf('.')
  const sig = token.slice(dot + 1)
  const i = at % (sig.length - 2)
  const swapped = sig[i] === 'A' ? 'B' : 'A'
  return `${token.slice(0, dot + 1)}${sig.slice(0, i)}${swapped}${sig.slice(i + 1)}`
}

/** A JWKS document served by a local HTTP server; `keys` may be replaced at any time. */
export interface JwksServer {
  url: string
  keys: JWK[]
  fetches: number
  close(): Promise<void>
}

/** Serves a JWKS on a free loopback port. */
export async function serveJwks(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, fetches: 0 }
  const server: Server = createServer((_req, res) => {
    state.fetches++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: state.keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get keys() {
      return state.keys
    },
    set keys(next) {
      state.keys = next
    },
    get fetches() {
      return state.fetches
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
