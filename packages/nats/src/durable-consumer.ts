import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { toPlexusError, type Kernel, type Logger, type PlexusError } from '@plexus/kernel'
import { DURABLE_META } from './durable-meta.js'
import { retryDelay, type DurableSubscription } from './durable-subscriptions.js'
import {
  consumerName,
  deadLetterSubject,
  eventStream,
  eventSubject,
  topicOf,
} from './durable-subjects.js'

/** Figures of the durable deliveries of one kernel. */
export interface DeliveryStats {
  /** Deliveries whose handler finished (acknowledged). */
  handled: number
  /** Deliveries that failed and were handed back for a later attempt. */
  retried: number
  /** Events sent to the dead-letter subject after their last attempt (or a permanent failure). */
  deadLettered: number
}

/** What a consumer needs from its plug-in. */
export interface ConsumerDeps {
  readonly kernel: Kernel<any>
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly namespace: string
  readonly node: string
  readonly logger: Logger
  readonly stats: DeliveryStats
  /** Messages pulled ahead per consumer. */
  readonly prefetch: number
}

/** A stored event: the payload and the emitter's meta. */
type Body = { p?: unknown; m?: Record<string, unknown> }

/** Codes a later attempt cannot fix: straight to the dead letters. */
const PERMANENT = new Set(['VALIDATION', 'INVALID_ARGUMENT', 'PROTOCOL'])
/** A balanced consumer outlives a stopped service a week; a node's broadcast one an hour. */
const BALANCED_IDLE = 7 * 24 * 3600_000
const BROADCAST_IDLE = 3600_000

/**
 * The durable consumer of one subscription and the loop that hands its events to the kernel:
 * one consumer per service (balanced: every node hosting it pulls from it, so JetStream shares
 * the work) or per node (broadcast). An event is acknowledged only after
 * `kernel.dispatch` settled; a retryable failure is handed back with `nak(delay)` (JetStream's
 * `backoff` does not space `nak`s), an ordered subscription retries in place so nothing passes
 * it; after the last attempt the event and its error go to `plexus.<ns>.dlq.<service>`.
 */
export class DurableConsumer {
  readonly name: string
  readonly #deps: ConsumerDeps
  readonly #sub: DurableSubscription
  readonly #busy = new Map<JsMsg, number>()
  readonly #slots: (() => void)[] = []
  // Acks of a turn go out together: nats.js writes to the socket once per microtask checkpoint
  // that has output, so an ack per settled handler cost a write per event (2 per op with the
  // emit's publish, against the floor's 1 in an strace of the durable bench).
  #acks: JsMsg[] = []
  readonly #ackTurn = (): void => this.#flushAcks()
  #messages: ConsumerMessages | undefined
  #stopped = false
  #loop: Promise<void> | undefined
  #working: NodeJS.Timeout | undefined

  constructor(deps: ConsumerDeps, subscription: DurableSubscription) {
    this.#deps = deps
    this.#sub = subscription
    this.name = consumerName(
      subscription.service,
      subscription.pattern,
      subscription.broadcast ? deps.node : undefined,
    )
  }

  /** Whether this consumer feeds `service`'s subscription to `pattern`. */
  serves(service: string, pattern: string): boolean {
    return this.#sub.service === service && this.#sub.pattern === pattern
  }

  /** The consumer's configuration (created or updated to it by `open`). */
  config(): Partial<ConsumerConfig> {
    const { namespace } = this.#deps
    const sub = this.#sub
    return {
      durable_name: this.name,
      ack_policy: AckPolicy.Explicit,
      // A new subscription starts with the events emitted from now on; a known one resumes.
      deliver_policy: DeliverPolicy.New,
      filter_subject: eventSubject(namespace, sub.pattern),
      ack_wait: nanos(sub.ackWait),
      // The attempts are counted here (one more, so a crash in the last still dead-letters).
      max_deliver: -1,
      max_ack_pending: sub.ordered ? 1 : Math.max(1, this.#deps.prefetch * 4),
      inactive_threshold: nanos(sub.broadcast ? BROADCAST_IDLE : BALANCED_IDLE),
    }
  }

  /** Creates (or updates) the consumer and starts pulling. */
  async open(): Promise<void> {
    const { jsm, namespace } = this.#deps
    const stream = eventStream(namespace)
    const config = this.config()
    try {
      await jsm.consumers.add(stream, config)
    } catch {
      // It exists with other knobs: take the new ones (the deliver policy cannot change).
      const { durable_name: _n, deliver_policy: _d, filter_subject: _f, ...mutable } = config
      await jsm.consumers.update(stream, this.name, mutable)
    }
    const sweep = Math.max(100, Math.floor(this.#sub.ackWait / 3))
    this.#working = setInterval(() => this.#extend(sweep), sweep)
    this.#working.unref()
    this.#loop = this.#run()
  }

  /** Stops pulling and waits for the handlers running now (bounded by the caller). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#messages?.stop()
    // Bounded: a handler that never ends keeps its event (unacknowledged, handed out again).
    const end = Date.now() + this.#sub.ackWait
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.#loop,
      new Promise((resolve) => (timer = setTimeout(resolve, this.#sub.ackWait))),
    ])
    clearTimeout(timer)
    while (this.#busy.size > 0 && Date.now() < end)
      await new Promise((resolve) => setTimeout(resolve, 10))
    this.#flushAcks()
    clearInterval(this.#working)
  }

  /** Acknowledges a handled event with the others of this turn. */
  #ack(m: JsMsg): void {
    if (this.#acks.push(m) === 1) setImmediate(this.#ackTurn)
  }

  #flushAcks(): void {
    const acks = this.#acks
    if (acks.length === 0) return
    this.#acks = []
    for (const m of acks) {
      try {
        m.ack()
      } catch (error) {
        // A closed connection: the server hands the event out again after its ack wait.
        this.#deps.logger.warn({ err: error, consumer: this.name }, 'Durable ack not sent')
      }
    }
  }

  async #run(): Promise<void> {
    const { js, namespace, logger, prefetch } = this.#deps
    // Plug-ins start before services: pull only once the service runs here.
    while (!this.#stopped && !this.#runsHere()) await new Promise((r) => setTimeout(r, 50))
    while (!this.#stopped) {
      try {
        const consumer = await js.consumers.get(eventStream(namespace), this.name)
        const messages = await consumer.consume({ max_messages: this.#sub.ordered ? 1 : prefetch })
        this.#messages = messages
        if (this.#stopped) messages.stop()
        for await (const m of messages) {
          if (this.#stopped) {
            m.nak() // pulled but not started: another node may take it at once
            continue
          }
          if (this.#sub.ordered) await this.#handle(m)
          else {
            void this.#handle(m)
            // At most `prefetch` handlers at once: the service's mailbox is not flooded.
            while (this.#busy.size >= prefetch) await new Promise<void>((r) => this.#slots.push(r))
          }
        }
      } catch (error) {
        if (this.#stopped) return
        logger.warn({ err: error, consumer: this.name }, 'Durable consumer interrupted; resuming')
      }
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  #runsHere(): boolean {
    return this.#deps.kernel
      .services()
      .some(
        (s) =>
          s.name === this.#sub.service &&
          s.current &&
          s.instances.some((i) => i.local && i.state === 'running'),
      )
  }

  async #handle(m: JsMsg): Promise<void> {
    this.#busy.set(m, Date.now())
    try {
      await this.#deliver(m)
    } catch (error) {
      // An ack or nak on a closed connection: the server hands the event out again.
      this.#deps.logger.warn({ err: error, consumer: this.name }, 'Durable delivery not settled')
    } finally {
      this.#busy.delete(m)
      this.#slots.shift()?.()
    }
  }

  async #deliver(m: JsMsg): Promise<void> {
    const { kernel, namespace, stats } = this.#deps
    const sub = this.#sub
    const id = m.headers?.get('Nats-Msg-Id') || `${namespace}:${m.seq}`
    let delivery = m.info.deliveryCount
    let body: Body
    try {
      body = m.json<Body>()
    } catch (error) {
      return this.#deadLetter(m, id, delivery, toPlexusError(error), undefined)
    }
    if (delivery > sub.maxDeliveries) {
      const error = toPlexusError(new Error(`No attempt finished in ${sub.maxDeliveries} tries`))
      return this.#deadLetter(m, id, delivery, error, body)
    }
    const topic = topicOf(namespace, m.subject)
    for (;;) {
      const meta = {
        ...body.m,
        [DURABLE_META.id]: id,
        [DURABLE_META.delivery]: delivery,
        [DURABLE_META.seq]: m.seq,
      }
      try {
        await kernel.dispatch(sub.service, topic, body.p, { meta })
        this.#ack(m)
        stats.handled++
        return
      } catch (thrown) {
        const error = toPlexusError(thrown)
        if (PERMANENT.has(error.code) || delivery >= sub.maxDeliveries)
          return this.#deadLetter(m, id, delivery, error, body)
        stats.retried++
        const delay = retryDelay(sub, delivery)
        if (!sub.ordered || this.#stopped) {
          m.nak(delay)
          return
        }
        // Ordered: nothing may pass this event, so it waits here (kept alive by `#extend`).
        await new Promise((resolve) => setTimeout(resolve, delay))
        if (this.#stopped) {
          m.nak()
          return
        }
        delivery++
      }
    }
  }

  async #deadLetter(
    m: JsMsg,
    id: string,
    delivery: number,
    error: PlexusError,
    body: Body | undefined,
  ): Promise<void> {
    const { js, namespace, logger, stats } = this.#deps
    const sub = this.#sub
    const letter = {
      id,
      service: sub.service,
      pattern: sub.pattern,
      topic: topicOf(namespace, m.subject),
      seq: m.seq,
      deliveries: delivery,
      error: error.toJSON(),
      payload: body?.p,
      meta: body?.m,
    }
    try {
      await js.publish(deadLetterSubject(namespace, sub.service), JSON.stringify(letter), {
        msgID: `${id}:${this.name}`,
      })
      m.term()
      stats.deadLettered++
      logger.warn({ id, service: sub.service, err: error }, 'Durable event dead-lettered')
    } catch (failure) {
      // Not stored as a dead letter yet: hand it back, the next attempt tries again.
      logger.warn({ err: failure, id }, 'Dead letter not stored; the event stays pending')
      m.nak(1000)
    }
  }

  /** Long handlers: tells the server they are still working, so it does not hand them out. */
  #extend(after: number): void {
    const now = Date.now()
    for (const [m, since] of this.#busy) if (now - since >= after) m.working()
  }
}
