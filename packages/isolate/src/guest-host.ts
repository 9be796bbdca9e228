import { pathToFileURL } from 'node:url'
import {
  PlexusError,
  createConsoleLogger,
  toPlexusError,
  type Logger,
  type ServiceDefinition,
} from '@plexus/kernel'
import { createHello, type RequestEnvelope } from '@plexus/wire'
import type { Exchange } from './exchange.js'
import { GuestContext } from './guest-context.js'
import { EVENT_PREFIX, STARTED, STOPPED, type EventDelivery } from './link-conventions.js'
import { manifestOf } from './manifest-of.js'
import { Session } from './session.js'

/** How a guest reaches the kernel: bytes out, bytes in. */
export interface GuestTransport {
  write(chunk: Buffer): void
  onData(listener: (chunk: Uint8Array) => void): void
  /** The kernel side asked to close, or a framing error: leave now. */
  close(): void
}

type Handler = (ctx: GuestContext, input: unknown) => unknown

/**
 * The guest side of an isolated placement: imports the service module, announces it in HELLO
 * and runs its handlers for the kernel's requests. The service file itself never changes.
 */
export async function runGuest(transport: GuestTransport, moduleRef: string, id: string) {
  const early: Uint8Array[] = []
  let session: Session | undefined = undefined
  transport.onData((chunk) => (session === undefined ? early.push(chunk) : session.receive(chunk)))
  const definition = await loadDefinition(moduleRef)
  const logger: Logger = createConsoleLogger(logLevel()).child({ instance: id })
  const handlers = tableOf(definition)
  const live: Session = new Session({
    side: 'acceptor',
    hello: createHello({
      role: 'host',
      services: [manifestOf(definition)],
      name: `${id} pid ${process.pid}`,
    }),
    write: (chunk) => transport.write(chunk),
    logger,
    handlers: {
      ready: () => {},
      broken: () => {
        live.flush()
        transport.close()
      },
      event: () => {},
      request: (request, exchange) => handle(request, exchange),
    },
  })
  session = live
  for (const chunk of early.splice(0)) live.receive(chunk)

  const service = definition.name
  function handle(request: RequestEnvelope, exchange: Exchange | undefined): void {
    const address = request.address
    let name: string
    let input = request.input
    let topic: string | undefined
    let handler: Handler | undefined
    if (address === STARTED || address === STOPPED) {
      name = address === STARTED ? 'started' : 'stopped'
      handler = definition[name as 'started' | 'stopped']
      if (handler === undefined) return exchange?.respond(undefined)
    } else if (address.startsWith(EVENT_PREFIX)) {
      name = address.slice(EVENT_PREFIX.length)
      const delivery = input as EventDelivery
      topic = delivery.topic
      input = delivery.payload
      handler = handlers.events.get(name)
    } else {
      name = address.slice(address.indexOf('.') + 1)
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function logLevel(): 'debug' | 'info' | 'warn' | 'error' | 'silent' {
  const level = process.env.PLEXUS_LOG_LEVEL
  return level === 'debug' || level === 'warn' || level === 'error' || level === 'silent'
    ? level
    : 'info'
}
