import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { SignJWT, type JWK } from 'jose'
import { PlexusError } from '@plexus/kernel'
import type { VerifierOptions } from './verifier.js'

/** The signing algorithm of dev keys (Ed25519). */
export const DEV_ALGORITHM = 'EdDSA'

/** The issuer dev tokens carry unless told otherwise. */
export const DEV_ISSUER = 'plexus-dev'

/** A key pair kept in one owner-only file, for development: sign tokens, verify them. */
export interface DevKeys {
  /** The file the pair lives in (mode 0600). */
  readonly file: string
  /** The key id tokens name in their header. */
  readonly kid: string
  /** `iss` of the tokens signed with it. */
  readonly issuer: string
  /** `aud` of the tokens signed with it. */
  readonly audience: string
  /** The public half, as a JWK with `kid` and `alg`. */
  readonly publicJwk: JWK
  /** Verifier options that accept exactly the tokens `sign` makes. */
  verifierOptions(): VerifierOptions
  /** A token for `sub` with extra claims (roles, scope, tenant), valid for `ttl` seconds. */
  sign(claims: DevClaims): Promise<string>
}

/** What a dev token says. */
export interface DevClaims {
  /** The subject (default `dev`). */
  readonly sub?: string
  /** Roles (the verifier's default `roles` claim). */
  readonly roles?: readonly string[]
  /** Scopes, written space-separated in `scope`. */
  readonly scopes?: readonly string[]
  /** Tenant claim. */
  readonly tenant?: string
  /** Seconds until `exp` (default 3600). */
  readonly ttl?: number
}

interface DevKeyFile {
  kid: string
  alg: string
  issuer: string
  audience: string
  privateKey: JWK
  publicKey: JWK
}

/**
 * The dev key pair in `file`, made on first use: an Ed25519 pair written with mode 0600 (its
 * directory 0700). A file that others may read is refused, as ssh refuses such a key; a file
 * made by a racing process is read, never overwritten.
 * @example
 * const keys = devKeys('.plexus/data/auth-dev-key.json', { audience: 'shop' })
 * const token = await keys.sign({ sub: 'ada', roles: ['customer'] })
 */
export function devKeys(
  file: string,
  options: { issuer?: string; audience?: string; create?: boolean } = {},
): DevKeys {
  const stored = readKeyFile(file) ?? (options.create === false ? missing(file) : create(file))
  const issuer = options.issuer ?? stored.issuer
  const audience = options.audience ?? stored.audience
  const privateKey = createPrivateKey({ key: stored.privateKey as never, format: 'jwk' })
  const publicJwk: JWK = { ...stored.publicKey, kid: stored.kid, alg: DEV_ALGORITHM, use: 'sig' }
  return {
    file,
    kid: stored.kid,
    issuer,
    audience,
    publicJwk,
    verifierOptions: () => ({ keys: [publicJwk], algorithms: [DEV_ALGORITHM], issuer, audience }),
    sign: (claims) => signDev(privateKey, stored.kid, issuer, audience, claims),
  }

  function create(path: string): DevKeyFile {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    const content: DevKeyFile = {
      kid: `dev-${randomBytes(6).toString('hex')}`,
      alg: DEV_ALGORITHM,
      issuer: options.issuer ?? DEV_ISSUER,
      audience: options.audience ?? 'plexus',
      privateKey: privateKey.export({ format: 'jwk' }),
      publicKey: publicKey.export({ format: 'jwk' }),
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    try {
      // 'wx': a racing first start keeps whichever pair was written first.
      writeFileSync(path, JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path)!
      throw error
    }
    // The umask may have narrowed the mode; never widened it, but state it exactly.
    chmodSync(path, 0o600)
    return content
  }
}

function readKeyFile(file: string): DevKeyFile | undefined {
  let text: string
  try {
    const mode = statSync(file).mode & 0o777
    if ((mode & 0o077) !== 0) {
      throw new PlexusError(
        'INVALID_CONFIG',
        `The dev key file ${file} is readable by others (mode ${mode.toString(8)}): chmod 600 it`,
        { data: { file, mode: mode.toString(8) } },
      )
    }
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let parsed: Partial<DevKeyFile>
  try {
    parsed = JSON.parse(text) as Partial<DevKeyFile>
  } catch {
    throw invalid(file, 'is not JSON')
  }
  const { kid, privateKey, publicKey, issuer, audience } = parsed
  if (
    typeof kid !== 'string' ||
    typeof issuer !== 'string' ||
    typeof audience !== 'string' ||
    privateKey?.crv !== 'Ed25519' ||
    typeof privateKey.d !== 'string' ||
    publicKey?.crv !== 'Ed25519'
  ) {
    throw invalid(
      file,
      'is not a dev key file (kid, issuer, audience, Ed25519 privateKey/publicKey)',
    )
  }
  return parsed as DevKeyFile
}

function missing(file: string): never {
  throw new PlexusError(
    'UNAVAILABLE',
    `No dev key file at ${file}: it is made on the first 'plexus start' with auth.dev`,
    { retryable: false, data: { file } },
  )
}

function invalid(file: string, why: string): PlexusError {
  return new PlexusError('INVALID_CONFIG', `The dev key file ${file} ${why}`, { data: { file } })
}

function signDev(
  key: KeyObject,
  kid: string,
  issuer: string,
  audience: string,
  claims: DevClaims,
): Promise<string> {
  const ttl = claims.ttl ?? 3600
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new PlexusError('INVALID_ARGUMENT', `A token's ttl must be seconds > 0, got ${ttl}`)
  }
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    ...(claims.roles === undefined ? {} : { roles: [...claims.roles] }),
    ...(claims.scopes === undefined ? {} : { scope: claims.scopes.join(' ') }),
    ...(claims.tenant === undefined ? {} : { tenant: claims.tenant }),
  })
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid, typ: 'JWT' })
    .setSubject(claims.sub ?? 'dev')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.ceil(ttl))
    .sign(key)
}
