import { PlexusError, type CallContext } from '@plexus/kernel'

type Task = (ctx: CallContext, input: unknown) => Promise<unknown>

interface Waiting {
  task: Task
  ctx: CallContext
  input: unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * A FIFO mailbox kept on the kernel side of a link, so that what is queued survives a guest
 * restart: at most `concurrency` messages are on the link at once, the rest wait here in order
 * (a full queue answers OVERLOADED). A message whose caller already gave up is skipped.
 */
export class Mailbox {
  readonly #label: string
  readonly #concurrency: number
  readonly #queue: number
  readonly #waiting: Waiting[] = []
  #head = 0
  #running = 0

  constructor(label: string, concurrency: number, queue: number) {
    this.#label = label
    this.#concurrency = concurrency
    this.#queue = queue
  }

  run(task: Task, ctx: CallContext, input: unknown): Promise<unknown> {
    if (this.#running < this.#concurrency) return this.#start(task, ctx, input)
    if (this.#waiting.length - this.#head >= this.#queue) {
      return Promise.reject(
        new PlexusError('OVERLOADED', `Mailbox of ${this.#label} is full (${this.#queue} queued)`),
      )
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ task, ctx, input, resolve, reject })
    })
  }

  #start(task: Task, ctx: CallContext, input: unknown): Promise<unknown> {
    this.#running++
    let work: Promise<unknown>
    try {
      work = task(ctx, input)
    } catch (error) {
      work = Promise.reject(error)
    }
    return work.finally(() => {
      this.#running--
      this.#next()
    })
  }

  #next(): void {
    while (this.#head < this.#waiting.length && this.#running < this.#concurrency) {
      const next = this.#waiting[this.#head]!
      this.#waiting[this.#head++] = undefined as unknown as Waiting
      if (this.#head === this.#waiting.length) {
        this.#waiting.length = 0
        this.#head = 0
      }
      const reason = next.ctx.reason
      if (reason !== undefined) {
        next.reject(reason)
        continue
      }
      this.#start(next.task, next.ctx, next.input).then(next.resolve, next.reject)
    }
  }
}
