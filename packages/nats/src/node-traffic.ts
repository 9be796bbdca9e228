import { PlexusError, type CallOptions, type Kernel, type Logger } from '@plexus/kernel'
import {
  NO_DEADLINE,
  RESERVED_ACTIONS,
  type EventDelivery,
  type Exchange,
  type RequestEnvelope,
} from '@plexus/wire'
import { SETTLED_ADDRESS, readTally, type EventTally, type Tally } from './event-tally.js'
import type { LocalManifests } from './local-manifests.js'
import type { PeerMetaTrust } from './nats-options.js'

/** What a node link adds to its traffic (a federation link adds none). */
export interface NodeTrafficLinks {
  /** Counts the peer's one-way events; without it they are refused. */
  readonly tally?: EventTally | undefined
  /** Takes the peer's tallies of this node's events; without it they are refused. */
  readonly settled?: ((tally: Tally | undefined) => void) | undefined
  /** Re-trusts a proven peer's meta. */
  readonly trust?: PeerMetaTrust | undefined
}

const PINNED = /^([^@.]+)@(\d+)\.(.+)$/
const EVENT_SUFFIX = `.${RESERVED_ACTIONS.event}`

/**
 * A peer's requests on a node link, run on this node's own instances only: a peer addressed the
 * exact version it saw here (`service@version.action`) and must never be bounced back to itself
 * or on to a third node, so a version this node does not serve (any more) is refused UNAVAILABLE
 * (retryable: the peer's kernel retries idempotent calls elsewhere). Events (`<service>.$event`)
 * are handed to `kernel.dispatch`, which delivers to this node's instances of that one service:
 * one sent one way (`send`) is counted in the link's tally, one sent as a `call` is answered.
 * The peer's tally of the events this node sent it (`link.$settled`) goes to `settled`.
 */
export class NodeTraffic {
  readonly #kernel: Kernel<any>
  readonly #local: LocalManifests
  readonly #logger: Logger
  readonly #peer: string
  readonly #self: string
  readonly #trust: PeerMetaTrust | undefined
  readonly #tally: EventTally | undefined
  readonly #settled: ((tally: Tally | undefined) => void) | undefined

  /**
   * `tally` counts one-way events (without it they are refused), `settled` takes the peer's
   * tallies, `trust` is only for a proven peer (signed HELLO, MACs): it re-trusts what the
   * peer's meta asserts.
   */
  constructor(
    kernel: Kernel<any>,
    local: LocalManifests,
    logger: Logger,
    self: string,
    peer: string,
    links: NodeTrafficLinks = {},
  ) {
    const { tally, settled, trust } = links
    this.#kernel = kernel
    this.#tally = tally
    this.#settled = settled
    this.#trust = trust
    this.#self = self
    this.#local = local
    this.#logger = logger
    this.#peer = peer
  }

  /** A REQUEST from the peer; answered through `exchange` (undefined for `send`). */
  request(request: RequestEnvelope, exchange: Exchange | undefined): void {
    if (request.address.endsWith(EVENT_SUFFIX)) return this.#event(request, exchange)
    if (request.address === SETTLED_ADDRESS && exchange === undefined && this.#settled) {
      return this.#settled(readTally(request.input))
    }
    try {
      const pinned = PINNED.exec(request.address)
      if (pinned === null) {
        throw new PlexusError(
          'INVALID_ARGUMENT',
          `A node link addresses 'service@version.action', got '${request.address}'`,
          { data: { address: request.address } },
        )
      }
      const service = pinned[1]!
      const version = Number(pinned[2])
      if (!this.#local.serves(service, version)) throw this.#notHere(`${service}@${version}`)
      const bus = this.#kernel.bus
      const caller = bus.context(request.caller ?? `node:${this.#peer}`, '$link')
      const options = optionsOf(request, exchange, this.#trust)
      switch (request.kind) {
        case 'call':
          bus.call(request.address, request.input, options, caller).then(
            (output) => exchange!.respond(output),
            (error: unknown) => exchange!.fail(error),
          )
          return
        case 'send':
          bus.send(request.address, request.input, options, caller)
          return
        case 'stream':
        case 'channel': {
          const input = request.kind === 'channel' ? exchange!.input() : request.input
          const flow = bus.stream(request.kind, request.address, input, options, caller)
          void exchange!.produce(flow[Symbol.asyncIterator]())
          return
        }
      }
    } catch (error) {
      if (exchange !== undefined) exchange.fail(error)
      else this.#logger.debug({ err: error, peer: this.#peer }, 'Node link send refused')
    }
  }

  #event(request: RequestEnvelope, exchange: Exchange | undefined): void {
    const tally = this.#tally
    if (exchange === undefined && tally === undefined) {
      this.#logger.debug({ peer: this.#peer }, 'One-way event refused on this link')
      return
    }
    let handled: Promise<void>
    try {
      handled = this.#dispatch(request)
    } catch (error) {
      handled = Promise.reject(error)
    }
    if (exchange === undefined) handled.then(tally!.ran, tally!.failed)
    else
      handled.then(
        () => exchange.respond(undefined),
        (error: unknown) => exchange.fail(error),
      )
  }

  #dispatch(request: RequestEnvelope): Promise<void> {
    const service = request.address.slice(0, -EVENT_SUFFIX.length)
    const delivery = request.input as Partial<EventDelivery> | undefined
    if (delivery === undefined || delivery === null || typeof delivery.topic !== 'string') {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `'${request.address}' needs { pattern, topic, payload }`,
      )
    }
    if (!this.#local.servesCurrent(service)) throw this.#notHere(service)
    const meta = request.meta
    const options =
      meta === undefined ? undefined : { meta: this.#trust ? this.#trust.admit(meta) : meta }
    return this.#kernel.dispatch(service, delivery.topic, delivery.payload, options)
  }

  #notHere(what: string): PlexusError {
    return new PlexusError('UNAVAILABLE', `Node '${this.#self}' does not serve '${what}'`, {
      retryable: true,
      data: { reason: 'not-served', service: what },
    })
  }
}

function optionsOf(
  request: RequestEnvelope,
  exchange: Exchange | undefined,
  trust: PeerMetaTrust | undefined,
): CallOptions {
  const options: CallOptions = {}
  if (request.deadline < NO_DEADLINE) options.deadline = Math.max(1, request.deadline)
  const meta = request.meta
  if (meta !== undefined) options.meta = trust ? trust.admit(meta) : meta
  if (exchange !== undefined) options.signal = exchange
  return options
}
