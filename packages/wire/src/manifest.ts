/** An action as announced in HELLO: its name and the flags the kernel routes by. */
export interface ActionManifest {
  name: string
  /** Safe to run twice, so the kernel may retry it on another instance. */
  idempotent?: boolean
  /** Messages handled at once per instance; unlimited when absent. */
  concurrency?: number
  /** Mailbox queue bound when `concurrency` is set. */
  queue?: number
}

/** An event subscription as announced in HELLO. */
export interface EventManifest {
  /** Topic pattern: `*` matches one token, `>` the rest. */
  pattern: string
  delivery: 'balanced' | 'broadcast'
}

/** What a host tells the kernel about one service it runs. */
export interface ServiceManifest {
  name: string
  /** Positive integer version. */
  version: number
  actions: ActionManifest[]
  /** Request-stream names. */
  streams: string[]
  /** Channel names. */
  channels: string[]
  events: EventManifest[]
  /** Names of the services this one needs started first. */
  dependencies: string[]
}
