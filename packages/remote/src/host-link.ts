import { timingSafeEqual } from 'node:crypto'
import {
  PlexusError,
  isPlexusError,
  manifestDifference,
  type Kernel,
  type Logger,
  type ServiceManifest,
} from '@plexus/kernel'
import {
  EnvelopeType,
  HostTraffic,
  RESERVED_ACTIONS,
  Liveness,
  Session,
  LinkProof,
  createHello,
  type Handshake,
  type KeyRing,
} from '@plexus/wire'
import type { AwaitedHost } from './awaited-host.js'
import { HostInstance } from './host-instance.js'

/** How one host connection reaches its transport. */
export type HostTransport =
  | { write: (chunk: Buffer) => void; send?: undefined; close(): void }
  | { send: (messages: Buffer[]) => void; write?: undefined; close(): void }

/** Settings of the kernel side of host links. */
export interface HostLinkSettings {
  /** The shared token a host may present in HELLO, if one is configured. */
  readonly token: string | undefined
  /** Verifies a host's JWT instead (its `plexus.services` claim lists what it may serve). */
  readonly verifier: HostTokenVerifier | undefined
  readonly pingInterval: number
  readonly pingMisses: number
  readonly helloTimeout: number
  readonly maxFrameSize: number
  readonly logger: Logger
  /**
   * Hosts' trusted public keys: when set, a host must prove itself in the handshake (Ed25519
   * over this kernel's challenge) with one of them; `services` (by key id) limits what it serves.
   */
  readonly trust:
    | { readonly ring: KeyRing; readonly services: ReadonlyMap<string, readonly string[]> }
    | undefined
  /** A `remote`-placement slot waiting for a host of this service version, if any. */
  readonly claim: (manifest: ServiceManifest) => AwaitedHost | undefined
}

/** Verifies a host's JWT (`auth(...).verifier` from `@plexus/auth`). */
export interface HostTokenVerifier {
  /** The token's principal; rejects UNAUTHORIZED (reason in `data`) or UNAVAILABLE. */
  verify(token: string | undefined): Promise<{
    readonly sub: string
    readonly claims: Readonly<Record<string, unknown>>
  }>
}

/** The claim of a host's JWT that lists the services it may serve. */
export const SERVICES_CLAIM = 'plexus.services'

let connections = 0

/**
 * The kernel side of one host connection: the handshake (role `host`, the configured token,
 * its manifests), one attached instance per service it serves, the host's own traffic routed
 * through the kernel, and PINGs. When the link closes or the host stops answering, every call
 * in flight on it ends UNAVAILABLE (retryable) at once and its instances are detached.
 */
export class HostLink {
  readonly session: Session
  /** The host's name from its HELLO (for logs; never trusted). */
  name = 'unknown host'
  readonly #kernel: Kernel<any>
  readonly #transport: HostTransport
  readonly #settings: HostLinkSettings
  readonly #where: string
  readonly #detach: (() => void)[] = []
  readonly #helloTimer: NodeJS.Timeout
  #traffic: HostTraffic | undefined
  #liveness: Liveness | undefined
  #refused = 0
  #closed = false
  readonly #onClose: (link: HostLink) => void

  constructor(
    kernel: Kernel<any>,
    transport: HostTransport,
    settings: HostLinkSettings,
    where: string,
    onClose: (link: HostLink) => void,
  ) {
    this.#kernel = kernel
    this.#transport = transport
    this.#settings = settings
    this.#where = where
    this.#onClose = onClose
    const common = {
      side: 'initiator' as const,
      proof:
        settings.trust === undefined ? undefined : new LinkProof({ trust: settings.trust.ring }),
      hello: createHello({
        role: 'kernel',
        name: kernel.node,
        maxFrameSize: settings.maxFrameSize,
      }),
      logger: settings.logger,
      maxFrameSize: settings.maxFrameSize,
      onRefused: () => void this.#refused++,
      handlers: {
        ready: (handshake: Handshake) => this.#ready(handshake),
        broken: (error: PlexusError) => this.close(error),
        request: (...args: Parameters<HostTraffic['request']>) => this.#traffic?.request(...args),
        event: (...args: Parameters<HostTraffic['event']>) => this.#traffic?.event(...args),
        pong: (seq: number) => this.#liveness?.pong(seq),
      },
    }
    this.session =
      transport.send !== undefined
        ? new Session({ ...common, send: transport.send })
        : new Session({ ...common, write: transport.write })
    this.#helloTimer = setTimeout(() => {
      // It said HELLO but never proved who it is (a host without a key): tell it why.
      if (this.session.awaitingProof) {
        return this.#refuse(
          new PlexusError('UNAUTHORIZED', `Host at ${where} sent no proof of identity`, {
            data: { reason: 'missing-proof' },
          }),
        )
      }
      this.close(
        new PlexusError(
          'UNAVAILABLE',
          `Host at ${where} said no HELLO within ${settings.helloTimeout} ms`,
          { retryable: true, data: { reason: 'handshake' } },
        ),
      )
    }, settings.helloTimeout)
    this.#helloTimer.unref()
  }

  /** Services this link has attached. */
  get attached(): number {
    return this.#detach.length
  }

  /**
   * Ends the link: in-flight calls end with `error` (made UNAVAILABLE and retryable when it is
   * not already), instances are detached, the transport closes. Idempotent.
   */
  close(error: PlexusError): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#helloTimer)
    this.#liveness?.stop()
    const gone =
      error.code === 'UNAVAILABLE'
        ? error
        : new PlexusError(
            'UNAVAILABLE',
            `Link to host '${this.name}' (${this.#where}) closed: ${error.message}`,
            {
              retryable: true,
              cause: error,
              data: { host: this.name },
            },
          )
    for (const detach of this.#detach.splice(0)) detach()
    this.session.close(gone)
    this.#transport.close()
    this.#onClose(this)
  }

  /** Refuses the link with a typed ERROR id 0 the host can read, then closes. */
  #refuse(error: PlexusError): void {
    this.#settings.logger.warn(
      { host: this.name, where: this.#where, code: error.code, err: error },
      `Host link refused: ${error.message}`,
    )
    this.session.write({ t: EnvelopeType.ERROR, id: 0, error: error.toJSON() })
    this.session.flush()
    this.close(error)
  }

  #ready(handshake: Handshake): void {
    clearTimeout(this.#helloTimer)
    const hello = handshake.peer
    this.name = hello.name ?? this.#where
    if (hello.role !== 'host') {
      return this.#refuse(
        new PlexusError(
          'PROTOCOL',
          `Peer at ${this.#where} says role '${hello.role}', expected 'host'`,
          {
            data: { reason: 'handshake' },
          },
        ),
      )
    }
    const { token, verifier } = this.#settings
    if (token !== undefined && sameToken(hello.token, token)) return this.#accept(hello)
    if (verifier === undefined || hello.token === undefined || hello.token.length === 0) {
      return this.#refuse(
        new PlexusError('UNAUTHORIZED', `Host '${this.name}' presented no valid token`, {
          data: { reason: hello.token === undefined ? 'missing-token' : 'bad-token' },
        }),
      )
    }
    verifier.verify(hello.token).then(
      (principal) => {
        if (this.#closed) return
        const refusal = servicesRefusal(this.name, principal, hello.services)
        if (refusal !== undefined) this.#refuse(refusal)
        else this.#accept(hello)
      },
      (error: unknown) => {
        if (this.#closed) return
        this.#refuse(
          isPlexusError(error)
            ? error
            : new PlexusError('UNAUTHORIZED', `Host '${this.name}' presented no valid token`, {
                data: { reason: 'bad-token' },
                cause: error,
              }),
        )
      },
    )
  }

  /** A host whose token was accepted: checks what it serves, then starts and attaches it. */
  #accept(hello: Handshake['peer']): void {
    if (hello.services.length === 0) {
      return this.#refuse(
        new PlexusError('PROTOCOL', `Host '${this.name}' serves no service`, {
          data: { reason: 'handshake' },
        }),
      )
    }
    const key = this.session.provenBy
    const allowed = key === undefined ? undefined : this.#settings.trust?.services.get(key.id)
    const refusedService = allowed && hello.services.find((s) => !allowed.includes(s.name))
    if (key !== undefined && allowed !== undefined && refusedService !== undefined) {
      return this.#refuse(
        new PlexusError(
          'FORBIDDEN',
          `Host '${this.name}' may not serve '${refusedService.name}' with key '${key.id}' (it may serve ${allowed.join(', ')})`,
          { data: { reason: 'service-not-allowed', service: refusedService.name, key: key.id } },
        ),
      )
    }
    const first = hello.services[0]!.name
    this.#traffic = new HostTraffic(this.#kernel.bus, this.#settings.logger, first, (id) =>
      this.session.ownerOf(id),
    )
    void this.#start(hello.services)
  }

  /**
   * Runs each service's `started` hook on the host, then attaches it: nothing is routed to a
   * service before its hook finished. A failing hook or a clashing manifest refuses the link.
   */
  async #start(services: readonly ServiceManifest[]): Promise<void> {
    const slot = ++connections
    this.#startLiveness()
    try {
      for (const manifest of services) {
        await this.session.call(`${manifest.name}.${RESERVED_ACTIONS.started}`, undefined, {
          deadline: this.#kernel.config.startTimeout,
        })
        if (this.#closed) return
        this.#attach(manifest, slot)
      }
    } catch (error) {
      if (this.#closed) return
      return this.#refuse(
        isPlexusError(error) && error.code !== 'HANDLER'
          ? error
          : new PlexusError(
              'START_FAILED',
              `Host '${this.name}' failed to start: ${String((error as Error).message)}`,
              {
                cause: error,
              },
            ),
      )
    }
    this.#settings.logger.info(
      { host: this.name, where: this.#where, services: services.map((s) => s.name) },
      'Remote host attached',
    )
  }

  /**
   * Runs each attached service's `stopped` hook on the host (the kernel is stopping and has
   * drained), bounded by the kernel's stop timeout.
   */
  async stopServices(services: readonly string[]): Promise<void> {
    for (const name of services) {
      try {
        await this.session.call(`${name}.${RESERVED_ACTIONS.stopped}`, undefined, {
          deadline: this.#kernel.config.stopTimeout,
        })
      } catch (error) {
        this.#settings.logger.warn({ host: this.name, err: error }, 'Host stopped hook failed')
      }
    }
  }

  /** The services this host serves (from its HELLO). */
  get services(): string[] {
    return this.session.peer?.peer.services.map((s) => s.name) ?? []
  }

  #startLiveness(): void {
    if (this.#settings.pingInterval > 0) {
      const { pingInterval, pingMisses } = this.#settings
      this.#liveness = Liveness.of(this.session, pingInterval, pingMisses, (missed) =>
        this.close(
          new PlexusError('UNAVAILABLE', `Host '${this.name}' missed ${missed} PINGs in a row`, {
            retryable: true,
            data: { host: this.name, reason: 'unresponsive' },
          }),
        ),
      )
    }
  }

  #attach(manifest: ServiceManifest, slot: number): void {
    const host = this.name.replace(/[^\w.-]/g, '-')
    const id = `${this.#kernel.node}/${host}/${manifest.name}@${manifest.version}#r${slot}`
    const awaited = this.#settings.claim(manifest)
    if (awaited !== undefined) {
      const difference = manifestDifference(awaited.manifest, manifest)
      if (difference !== undefined) {
        throw new PlexusError(
          'MANIFEST_MISMATCH',
          `Host '${this.name}' offers '${manifest.name}@${manifest.version}' with another shape than the configured service: ${difference}`,
          { data: { service: manifest.name, version: manifest.version, instance: id } },
        )
      }
      awaited.bind(id, manifest.name, this.session, () => this.#refused)
      this.#detach.push(() => awaited.unbind())
      return
    }
    const instance = new HostInstance(
      id,
      this.#kernel.node,
      manifest.name,
      this.session,
      () => this.#refused,
    )
    this.#detach.push(this.#kernel.attach(manifest, instance))
  }
}

/** Why a host whose JWT verified may not serve what it says (undefined: it may). */
function servicesRefusal(
  name: string,
  principal: { readonly sub: string; readonly claims: Readonly<Record<string, unknown>> },
  services: readonly ServiceManifest[],
): PlexusError | undefined {
  const allowed = principal.claims[SERVICES_CLAIM]
  if (!Array.isArray(allowed) || !allowed.every((s) => typeof s === 'string')) {
    return new PlexusError(
      'FORBIDDEN',
      `Host '${name}' (token of '${principal.sub}') has no '${SERVICES_CLAIM}' claim listing what it may serve`,
      { data: { reason: 'no-services-claim', sub: principal.sub } },
    )
  }
  const refused = services.find((s) => !allowed.includes(s.name))
  if (refused === undefined) return undefined
  return new PlexusError(
    'FORBIDDEN',
    `Host '${name}' may not serve '${refused.name}' with the token of '${principal.sub}' (it may serve ${allowed.join(', ') || 'nothing'})`,
    { data: { reason: 'service-not-allowed', service: refused.name, sub: principal.sub } },
  )
}

/** Compares tokens in constant time (a timing side channel must not leak the configured one). */
function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
