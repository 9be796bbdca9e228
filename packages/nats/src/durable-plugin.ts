import {
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream'
import { connect, nanos, nuid, type NatsConnection } from '@nats-io/transport-node'
import {
  PlexusError,
  topicMatches,
  type EmitOptions,
  type Interceptor,
  type Kernel,
  type MessageContext,
  type Meta,
  type Plugin,
} from '@plexus/kernel'
import { DurableConsumer, type DeliveryStats } from './durable-consumer.js'
import { requireServer } from './durable-gates.js'
import { DURABLE_META } from './durable-meta.js'
import { resolveDurableOptions, type DurableOptions } from './durable-options.js'
import { Outbox, type OutboxStats } from './durable-outbox.js'
import { durableSubscriptions } from './durable-subscriptions.js'
import { deadLetterStream, eventStream, eventSubject, topicOf } from './durable-subjects.js'

/** What the durable-events plug-in shows once the kernel started. */
export interface DurableView {
  /** Resolves once every durable emit so far is acknowledged by the stream. */
  flushed(): Promise<void>
  /** The outbox's figures; `pending` = emitted, not yet acknowledged. */
  readonly outbox: Readonly<OutboxStats> & { readonly pending: number }
  /** This kernel's durable deliveries. */
  readonly deliveries: Readonly<DeliveryStats>
  /** The connected server's version (the gates read it). */
  readonly serverVersion: string
  /** The durable topic patterns this kernel publishes for now. */
  patterns(): string[]
  /** Pauses a subscription's consumer until `until`; needs nats-server 2.11 (else INVALID_ARGUMENT). */
  pause(service: string, pattern: string, until: Date): Promise<void>
}

/** The durable-events plug-in. */
export interface DurablePlugin extends Plugin<Kernel<any>> {
  /** The view, once the kernel started. */
  readonly events: DurableView | undefined
}

/**
 * Durable events over JetStream on the same `emit` (docs/events.md): an emit whose topic a
 * durable subscription matches is also stored in `PLEXUS_<NS>_EVENTS` (from an outbox that
 * retries with the same `Nats-Msg-Id` until acknowledged, drained by `stop()`); each durable
 * subscription of `subscribers` is fed from its JetStream consumer and acknowledged once its
 * handler finished. Plain deliveries to a durable subscription are skipped (the stored copy
 * reaches it). Load it on every kernel that emits durable topics.
 *
 * @example
 * createKernel({ plugins: [durableEvents({ servers: url, subscribers: [shipping] })] }).add(shipping)
 */
export function durableEvents(options: DurableOptions): DurablePlugin {
  const settings = resolveDurableOptions(options)
  const subscriptions = durableSubscriptions(settings.subscribers)
  const gated = new Set(subscriptions.map((s) => `${s.service}\u0000${s.pattern}`))
  let view: DurableView | undefined
  return {
    name: 'durable-events',
    // Streams and consumers on a clustered JetStream can take a while to place.
    timeout: 30_000,
    get events() {
      return view
    },
    async setup(kernel) {
      const { namespace } = settings
      const node = settings.node ?? kernel.node
      const logger = kernel.config.logger.child({ plugin: 'durable-events', node })
      const nc = await connectTo(settings.servers, node)
      const serverVersion = nc.info?.version ?? '0.0.0'
      try {
        if (settings.messageTtl !== undefined) requireServer(serverVersion, 'messageTtl')
      } catch (error) {
        await nc.close()
        throw error
      }
      const js = jetstream(nc)
      let jsm: JetStreamManager
      try {
        jsm = await jetstreamManager(nc)
        await ensureStreams(jsm, settings)
      } catch (error) {
        await nc.close()
        throw unavailable('the event streams could not be opened (is JetStream on?)', error)
      }
      const outbox = new Outbox(js, logger, {
        limit: settings.outboxLimit,
        parallel: settings.publishParallel,
        timeout: settings.publishTimeout,
        ...(settings.onPublished === undefined ? {} : { onAck: settings.onPublished }),
      })
      const stats: DeliveryStats = { handled: 0, retried: 0, deadLettered: 0 }
      const patterns = new Set<string>([...settings.topics, ...subscriptions.map((s) => s.pattern)])
      const matches = new Map<string, boolean>()
      const durable = (topic: string): boolean => {
        let hit = matches.get(topic)
        if (hit === undefined) {
          hit = [...patterns].some((p) => topicMatches(p, topic))
          if (matches.size > 10_000) matches.clear()
          matches.set(topic, hit)
        }
        return hit
      }
      const learn = async (): Promise<void> => {
        for await (const info of jsm.consumers.list(eventStream(namespace))) {
          const subject = info.config.filter_subject
          if (!subject?.startsWith(eventSubject(namespace, ''))) continue
          if (patterns.has(topicOf(namespace, subject))) continue
          patterns.add(topicOf(namespace, subject))
          matches.clear()
        }
      }
      await learn().catch((error: unknown) => logger.warn({ err: error }, 'Consumers not listed'))
      const ttl =
        settings.messageTtl === undefined
          ? undefined
          : `${Math.max(1, Math.round(settings.messageTtl / 1000))}s`
      kernel.intercept(gate(gated))
      kernel.intercept({
        name: 'durable-events-emit',
        emit: (next) => (topic, payload, emitOptions, caller) => {
          next(topic, payload, clean(emitOptions, caller), caller)
          if (!durable(topic)) return
          const meta = storedMeta(emitOptions, caller)
          const chosen = emitOptions?.meta?.[DURABLE_META.id]
          const id = typeof chosen === 'string' && chosen.length > 0 ? chosen : nuid.next()
          const data = JSON.stringify({ p: payload, m: meta })
          outbox.add({ id, subject: eventSubject(namespace, topic), data, ttl })
        },
      })
      const consumers = subscriptions.map(
        (s) =>
          new DurableConsumer(
            { kernel, js, jsm, namespace, node, logger, stats, prefetch: settings.prefetch },
            s,
          ),
      )
      try {
        for (const consumer of consumers) await consumer.open()
      } catch (error) {
        for (const consumer of consumers) await consumer.stop()
        await nc.close()
        throw unavailable('a durable consumer could not be created', error)
      }
      const refresh = setInterval(() => {
        learn().catch((error: unknown) => logger.debug({ err: error }, 'Consumers not listed'))
      }, settings.refreshInterval)
      refresh.unref()
      // A stop first stops pulling and lets what runs finish (acknowledged), then drains the
      // outbox while the connection is still up; what is left is reported, never dropped silently.
      const removeStop = kernel.beforeStop(async () => {
        clearInterval(refresh)
        await Promise.all(consumers.map((c) => c.stop()))
        await outbox.settled(Math.max(100, kernel.config.drainTimeout - 200))
      })
      view = {
        flushed: () => outbox.flushed(),
        get outbox() {
          return { ...outbox.stats, pending: outbox.pending }
        },
        deliveries: stats,
        serverVersion,
        patterns: () => [...patterns],
        async pause(service, pattern, until) {
          requireServer(serverVersion, 'consumerPause')
          const consumer = consumers.find((c) => c.serves(service, pattern))
          if (consumer === undefined) {
            throw new PlexusError(
              'NOT_FOUND',
              `durable events: this kernel consumes for no ${service} '${pattern}'`,
              { data: { service, pattern } },
            )
          }
          await jsm.consumers.pause(eventStream(namespace), consumer.name, until)
        },
      }
      logger.info({ namespace, subscriptions: subscriptions.length }, 'Durable events on')
      return async () => {
        removeStop()
        clearInterval(refresh)
        await Promise.all(consumers.map((c) => c.stop()))
        // Handlers that drained after the hook may have emitted more: wait for those too.
        const left = await outbox.drain(kernel.config.drainTimeout)
        if (left > 0) logger.error({ unacknowledged: left }, 'Durable events not acknowledged')
        await nc.drain().catch(() => nc.close())
      }
    },
  } satisfies DurablePlugin
}

/**
 * Skips plain deliveries to a durable subscription (a durable delivery carries
 * `plexus.event.delivery`): the stored copy reaches it, acknowledged, instead.
 */
function gate(gated: ReadonlySet<string>): Interceptor {
  return {
    name: 'durable-events-gate',
    handle: (next, info) => {
      if (info.kind !== 'event' || !gated.has(`${info.service}\u0000${info.name}`)) return next
      return (ctx, input) =>
        ctx.meta[DURABLE_META.delivery] === undefined ? undefined : next(ctx, input)
    },
  }
}

const RESERVED = Object.values(DURABLE_META)

/** An emit from inside a durable handler must not hand its delivery keys on to plain events. */
function clean(options: EmitOptions | undefined, caller: MessageContext | undefined) {
  const inherited = caller?.peekMeta()
  if (inherited?.[DURABLE_META.delivery] === undefined && options?.meta === undefined)
    return options
  const meta: Meta = { ...options?.meta }
  for (const key of RESERVED) meta[key] = undefined
  return { ...options, meta }
}

function storedMeta(options: EmitOptions | undefined, caller: MessageContext | undefined): Meta {
  const meta: Meta = { ...caller?.peekMeta(), ...options?.meta }
  for (const key of RESERVED) delete meta[key]
  return meta
}

async function ensureStreams(
  jsm: JetStreamManager,
  settings: ReturnType<typeof resolveDurableOptions>,
): Promise<void> {
  const { namespace } = settings
  const streams = [
    { name: eventStream(namespace), subjects: [eventSubject(namespace, '>')] },
    { name: deadLetterStream(namespace), subjects: [`plexus.${namespace}.dlq.>`] },
  ]
  for (const { name, subjects } of streams) {
    const config = {
      name,
      subjects,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: settings.replicas,
      max_age: nanos(settings.maxAge),
      duplicate_window: nanos(Math.min(settings.duplicateWindow, settings.maxAge)),
      // Gated to 2.11+ at setup: older servers would store `Nats-TTL` and ignore it.
      ...(settings.messageTtl === undefined ? {} : { allow_msg_ttl: true }),
    }
    try {
      await jsm.streams.info(name)
    } catch {
      await jsm.streams.add(config)
    }
  }
}

async function connectTo(servers: string[], node: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers,
      name: `plexus-durable-${node}`,
      // nats.js otherwise builds two Errors (stack traces) per request, a PubAck's included:
      // over half the emitter's CPU in a profile. Failures are mapped to typed errors anyway.
      noAsyncTraces: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 250,
    })
  } catch (error) {
    throw unavailable(`cannot connect to ${servers.join(', ')}`, error)
  }
}

function unavailable(what: string, cause: unknown): PlexusError {
  return new PlexusError('UNAVAILABLE', `durable events: ${what}: ${(cause as Error).message}`, {
    retryable: true,
    cause,
    data: { reason: 'nats' },
  })
}
