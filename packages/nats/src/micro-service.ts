import {
  headers,
  nuid,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node'
import { PlexusError, type Kernel, type Logger } from '@plexus/kernel'
import { microError, parseInput } from './micro-errors.js'
import { MICRO_HEADERS, MICRO_QUEUE, microSubject, srvSubjects } from './micro-subjects.js'

/** What every micro service of a node shares. */
export interface MicroHost {
  readonly kernel: Kernel<any>
  readonly nc: NatsConnection
  readonly namespace: string
  readonly node: string
  readonly logger: Logger
  /** Largest request body accepted, in bytes. */
  readonly maxInput: number
  /** A request was refused before reaching the kernel (malformed, forged, no reply subject). */
  refused(): void
}

/** One endpoint's figures, as `$SRV.STATS` reports them (times in nanoseconds). */
interface EndpointStats {
  readonly name: string
  readonly subject: string
  requests: number
  errors: number
  processingNs: number
  lastError: string
}

/**
 * One Plexus service seen as a NATS micro service (ADR-32): each action an endpoint on
 * `plexus.<ns>.svc.<service>.<action>`, queue group `q` so every node hosting the service
 * shares the load, and the `$SRV.PING|INFO|STATS` answers at all three subject levels. A
 * request is `kernel.call('<service>.<action>', json)`, so routing, interceptors and ACLs apply.
 */
export class MicroService {
  readonly name: string
  readonly version: number
  readonly actions: readonly string[]
  /** The micro instance id: new for every (re)exposure. */
  readonly id = nuid.next()
  readonly #host: MicroHost
  readonly #started = new Date().toISOString()
  readonly #endpoints: EndpointStats[]
  readonly #subs: Subscription[] = []

  constructor(host: MicroHost, name: string, version: number, actions: readonly string[]) {
    this.#host = host
    this.name = name
    this.version = version
    this.actions = actions
    this.#endpoints = actions.map((action) => ({
      name: action,
      subject: microSubject(host.namespace, name, action),
      requests: 0,
      errors: 0,
      processingNs: 0,
      lastError: '',
    }))
  }

  /** Subscribes the endpoints and the discovery subjects. */
  start(): void {
    const { nc } = this.#host
    for (const endpoint of this.#endpoints) {
      this.#subs.push(
        nc.subscribe(endpoint.subject, {
          queue: MICRO_QUEUE,
          callback: (error, msg) => {
            if (error === null) this.#request(endpoint, msg)
          },
        }),
      )
    }
    for (const [verb, subjects] of srvSubjects(this.name, this.id)) {
      const answer = () => JSON.stringify(this.#answer(verb))
      for (const subject of subjects) {
        this.#subs.push(
          nc.subscribe(subject, {
            callback: (error, msg) => {
              if (error === null && msg.reply !== undefined && msg.reply !== '')
                msg.respond(answer())
            },
          }),
        )
      }
    }
  }

  /** Unsubscribes everything (calls already inside the kernel still answer). */
  stop(): void {
    for (const sub of this.#subs.splice(0)) sub.unsubscribe()
  }

  #answer(verb: 'PING' | 'INFO' | 'STATS'): Record<string, unknown> {
    const common = {
      type: `io.nats.micro.v1.${verb.toLowerCase()}_response`,
      name: this.name,
      id: this.id,
      version: `${this.version}.0.0`,
      metadata: {
        'plexus.node': this.#host.node,
        'plexus.ns': this.#host.namespace,
        'plexus.version': String(this.version),
      },
    }
    if (verb === 'PING') return common
    if (verb === 'INFO') {
      return {
        ...common,
        description: `${this.name}@${this.version} on ${this.#host.node}`,
        endpoints: this.#endpoints.map((e) => ({
          name: e.name,
          subject: e.subject,
          queue_group: MICRO_QUEUE,
          metadata: { kind: 'call' },
        })),
      }
    }
    return {
      ...common,
      started: this.#started,
      endpoints: this.#endpoints.map((e) => ({
        name: e.name,
        subject: e.subject,
        queue_group: MICRO_QUEUE,
        num_requests: e.requests,
        num_errors: e.errors,
        last_error: e.lastError,
        processing_time: Math.round(e.processingNs),
        average_processing_time: e.requests === 0 ? 0 : Math.round(e.processingNs / e.requests),
      })),
    }
  }

  #request(endpoint: EndpointStats, msg: Msg): void {
    const host = this.#host
    // Nobody reads the answer: a publish without a reply subject is refused, never run.
    if (msg.reply === undefined || msg.reply === '') return host.refused()
    const started = process.hrtime.bigint()
    endpoint.requests++
    const done = (error: unknown, output?: unknown): void => {
      endpoint.processingNs += Number(process.hrtime.bigint() - started)
      if (error === undefined) {
        const text = output === undefined ? undefined : JSON.stringify(output)
        try {
          msg.respond(text ?? '')
          return
        } catch (failed) {
          error = new PlexusError('PROTOCOL', `The answer could not be sent: ${String(failed)}`, {
            data: { reason: 'frame-too-large' },
          })
        }
      }
      const answer = microError(error)
      endpoint.errors++
      endpoint.lastError = `${answer.status}:${answer.message}`
      if (answer.code === 'HANDLER')
        host.logger.warn({ err: error, endpoint: endpoint.subject }, 'Micro request failed')
      const h = headers()
      // A header value is one line: a message with line breaks must not forge more headers.
      h.set(MICRO_HEADERS.error, answer.message.replace(/[\r\n]+/g, ' ').slice(0, 1024))
      h.set(MICRO_HEADERS.errorCode, String(answer.status))
      h.set(MICRO_HEADERS.plexusCode, answer.code)
      msg.respond(JSON.stringify(answer.body), { headers: h })
    }
    let input: unknown
    let deadline: number | undefined
    try {
      if (msg.data.length > host.maxInput) {
        throw new PlexusError('INVALID_ARGUMENT', `The input is over ${host.maxInput} bytes`, {
          data: { reason: 'too-large', limit: host.maxInput, size: msg.data.length },
        })
      }
      input = parseInput(msg.data)
      deadline = deadlineOf(msg.headers?.get(MICRO_HEADERS.deadline))
    } catch (error) {
      host.refused()
      return done(error)
    }
    host.kernel
      .call(
        `${this.name}.${endpoint.name}`,
        input,
        deadline === undefined ? undefined : { deadline },
      )
      .then(
        (output: unknown) => done(undefined, output),
        (error: unknown) => done(error),
      )
  }
}

/** `Plexus-Deadline: <ms>`, a positive integer; absent means the kernel's default budget. */
function deadlineOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const ms = Number(value)
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new PlexusError(
      'INVALID_ARGUMENT',
      `${MICRO_HEADERS.deadline} must be a positive integer of ms`,
      {
        data: { reason: 'bad-deadline', seen: value.slice(0, 64) },
      },
    )
  }
  return ms
}
