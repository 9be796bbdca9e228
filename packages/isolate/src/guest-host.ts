import { pathToFileURL } from 'node:url'
import {
  PlexusError,
  createConsoleLogger,
  isThenable,
  logLevelOf,
  manifestOf,
  toPlexusError,
  type Logger,
  type ServiceDefinition,
} from '@plexus/kernel'
import {
  RESERVED_ACTIONS,
  Session,
  createHello,
  type EventDelivery,
  type Exchange,
  type RequestEnvelope,
} from '@plexus/wire'
import { GuestContext } from './guest-context.js'

/** How a guest reaches the kernel: bytes out, bytes in. */
export interface GuestTransport {
  write(chunk: Buffer): void
  onData(listener: (chunk: Uint8Array) => void): void
  /** The kernel side asked to close, or a framing error: leave now. */
  close(): void
}

/** Where a served definition writes: a byte stream (`write`) or a message transport (`send`). */
export type ServeTransport =
  | { write(chunk: Buffer): void; send?: undefined; close(): void }
  | { send(messages: Buffer[]): void; write?: undefined; close(): void }

type Handler = (ctx: GuestContext, input: unknown) => unknown

/** How a host serves a definition over one link. */
export interface ServeOptions {
  /** Identity for logs and HELLO's `name`. */
  id: string
  /** A credential for a kernel that asks for one (remote hosts), sent in HELLO. */
  token?: string
  /** How long to wait for the kernel's HELLO before leaving (protocol.md §5: 5 s). */
  helloTimeout?: number
  logger?: Logger
  /** Told why the link broke (an ERROR id 0 from the kernel: a refused token, a clash...). */
  onBroken?: (error: PlexusError) => void
}

/**
 * The guest side of an isolated placement: imports the service module, announces it in HELLO
 * and runs its handlers for the kernel's requests. The service file itself never changes.
 */
export async function runGuest(transport: GuestTransport, moduleRef: string, id: string) {
  const early: Uint8Array[] = []
  let session: Session | undefined = undefined
  transport.onData((chunk) => (session === undefined ? early.push(chunk) : session.receive(chunk)))
  const definition = await loadDefinition(moduleRef)
  const live = serveDefinition(definition, transport, { id })
  session = live
  // Bytes that arrived while the module loaded: a REQUEST among them is served, never dropped.
  for (const chunk of early.splice(0)) live.receive(chunk)
  return live
}

/**
 * Serves `definition` over one link: says HELLO with its manifest, answers the kernel's
 * requests (actions, streams, channels, events, its lifecycle hooks), and leaves (closes the
 * transport) when the link breaks or no HELLO arrives within the timeout. Feed it with
 * `session.receive`.
 */
export function serveDefinition(
  definition: ServiceDefinition,
  transport: ServeTransport,
  options: ServeOptions,
): Session {
  const id = options.id
  const logger: Logger =
    options.logger ??
    createConsoleLogger(logLevelOf(process.env.PLEXUS_LOG_LEVEL)).child({ instance: id })
  const handlers = tableOf(definition)
  const service = definition.name
  const hello = createHello({
    role: 'host',
    services: [manifestOf(definition)],
    name: `${id} pid ${process.pid}`,
    ...(options.token === undefined ? {} : { token: options.token }),
  })
  const helloTimeout = options.helloTimeout ?? 5_000
  const noHello = setTimeout(() => {
    logger.error({ instance: id }, `No HELLO from the kernel within ${helloTimeout} ms; leaving`)
    live.close(new PlexusError('UNAVAILABLE', 'No HELLO from the kernel'))
    transport.close()
  }, helloTimeout)
  noHello.unref()
  const common = {
    side: 'acceptor' as const,
    hello,
    logger,
    handlers: {
      ready: () => clearTimeout(noHello),
      broken: (error: PlexusError) => {
        clearTimeout(noHello)
        options.onBroken?.(error)
        live.flush()
        transport.close()
      },
      event: () => {},
      request: (request: RequestEnvelope, exchange: Exchange | undefined) =>
        handle(request, exchange),
    },
  }
  const live: Session =
    transport.send !== undefined
      ? new Session({ ...common, send: (messages) => transport.send(messages) })
      : new Session({ ...common, write: (chunk) => transport.write(chunk) })

  function handle(request: RequestEnvelope, exchange: Exchange | undefined): void {
    const address = request.address
    let name: string
    let input = request.input
    let topic: string | undefined
    let handler: Handler | undefined
    const action = address.slice(address.indexOf('.') + 1)
    if (action === RESERVED_ACTIONS.started || action === RESERVED_ACTIONS.stopped) {
      name = action === RESERVED_ACTIONS.started ? 'started' : 'stopped'
      handler = definition[name as 'started' | 'stopped']
      if (handler === undefined) return exchange?.respond(undefined)
    } else if (action === RESERVED_ACTIONS.event) {
      const delivery = input as EventDelivery
      name = String(delivery?.pattern)
      topic = delivery?.topic
      input = delivery?.payload
      handler = handlers.events.get(name)
    } else {
      name = action
      handler = (
        request.kind === 'call' || request.kind === 'send' ? handlers.actions : handlers.streams
      ).get(request.kind === 'channel' ? 'channel:' + name : name)
    }
    if (handler === undefined) {
      return exchange?.fail(
        new PlexusError('NOT_FOUND', `Service '${service}' has no ${request.kind} '${name}'`, {
          data: { service, address },
        }),
      )
    }
    if (request.deadline === 0) {
      return exchange?.fail(new PlexusError('TIMEOUT', `'${address}' arrived with no budget left`))
    }
    const meta = request.meta
    const ctx = new GuestContext(
      live,
      logger,
      service,
      name,
      request.caller,
      topic,
      meta,
      request.deadline,
      exchange,
    )
    run(handler, ctx, request.kind === 'channel' ? exchange?.input() : input, request, exchange)
  }

  function run(
    handler: Handler,
    ctx: GuestContext,
    input: unknown,
    request: RequestEnvelope,
    exchange: Exchange | undefined,
  ): void {
    let result: unknown
    try {
      result = handler(ctx, input)
    } catch (error) {
      return exchange?.fail(toPlexusError(error))
    }
    if (exchange === undefined) {
      if (isThenable(result))
        result.then(undefined, (e: unknown) => logger.debug({ err: e }, 'send failed'))
      return
    }
    if (request.kind === 'stream' || request.kind === 'channel') {
      const iterable = result as AsyncIterable<unknown> | null
      if (iterable === null || typeof iterable?.[Symbol.asyncIterator] !== 'function') {
        return exchange.fail(
          new PlexusError(
            'HANDLER',
            `Stream handler of ${ctx.describe()} did not return an async iterable`,
          ),
        )
      }
      void exchange.produce(iterable[Symbol.asyncIterator]())
      return
    }
    if (isThenable(result)) {
      result.then(
        (value) => exchange.respond(value),
        (error: unknown) => exchange.fail(toPlexusError(error)),
      )
    } else exchange.respond(result)
  }
  return live
}

interface HandlerTable {
  actions: Map<string, Handler>
  events: Map<string, Handler>
  streams: Map<string, Handler>
}

function tableOf(definition: ServiceDefinition): HandlerTable {
  const fn = (entry: unknown): Handler =>
    (typeof entry === 'function' ? entry : (entry as { handler: unknown }).handler) as Handler
  const table: HandlerTable = { actions: new Map(), events: new Map(), streams: new Map() }
  for (const [name, entry] of Object.entries(definition.actions ?? {}))
    table.actions.set(name, fn(entry))
  for (const [name, entry] of Object.entries(definition.events ?? {}))
    table.events.set(name, fn(entry))
  for (const [name, entry] of Object.entries(definition.streams ?? {}))
    table.streams.set(name, fn(entry))
  for (const [name, entry] of Object.entries(definition.channels ?? {})) {
    table.streams.set('channel:' + name, entry as Handler)
  }
  return table
}

/** Imports a service module and returns its default export, checked to look like a definition. */
export async function loadDefinition(moduleRef: string): Promise<ServiceDefinition> {
  const url = moduleRef.startsWith('file:') ? moduleRef : pathToFileURL(moduleRef).href
  const mod = (await import(url)) as { default?: unknown }
  const definition = mod.default as ServiceDefinition | undefined
  if (
    definition === null ||
    typeof definition !== 'object' ||
    typeof definition.name !== 'string'
  ) {
    throw new PlexusError(
      'INVALID_DEFINITION',
      `Service module ${moduleRef} has no default export made with defineService(...)`,
    )
  }
  return definition
}
