import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv'
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node'
import { PlexusError, type Logger, type ServiceManifest } from '@plexus/kernel'
import { nodeBucket, pingSubject } from './subjects.js'

/** A node's entry in the registry bucket. */
export interface NodeRecord {
  /** Random per process: tells a restarted node from its predecessor under the same id. */
  readonly instance: string
  /** The services it runs itself. */
  readonly services: ServiceManifest[]
}

/** What the directory reports about the other nodes. */
export interface DirectoryHooks {
  /** A node joined or changed its manifest. */
  put(node: string, record: NodeRecord): void
  /** A node left (its entry was deleted). */
  gone(node: string): void
}

// JetStream's "wrong last sequence": the key exists already.
const MAX_AWAITING = 1000
/** The longest a withdrawal probe is held open here. */
const MAX_WAIT = 30_000
const WRONG_LAST_SEQUENCE = 10071

/**
 * The node registry: one KV bucket per namespace, one key per node holding its manifest. A node
 * claims its id with compare-and-set create; a taken id is probed on the holder's ping subject
 * (a live holder answers: refused; no responder: a crashed predecessor, taken over). The bucket
 * TTL bounds how long a crashed node's entry survives; the entry is rewritten well within it.
 */
export class NodeDirectory {
  readonly #nc: NatsConnection
  readonly #kv: KV
  readonly #namespace: string
  readonly #node: string
  readonly #logger: Logger
  #ping: Subscription | undefined
  #stopWatch: (() => void) | undefined
  #last = ''
  #stopping = false
  readonly #seen = new Map<string, { instance: string; revision: number }>()
  /** Per peer, the last revision of its entry whose change was applied (or 'gone'). */
  readonly #applied = new Map<string, number>()
  /** Peers withdrawing: each waits until its entry's revision has been applied here. */
  readonly #awaiting = new Set<{ node: string; revision: number; answer: () => void }>()

  private constructor(nc: NatsConnection, kv: KV, namespace: string, node: string, logger: Logger) {
    this.#nc = nc
    this.#kv = kv
    this.#namespace = namespace
    this.#node = node
    this.#logger = logger
  }

  /** Opens (or creates) the namespace's bucket. */
  static async open(
    nc: NatsConnection,
    namespace: string,
    node: string,
    ttl: number,
    logger: Logger,
    replicas = 1,
  ): Promise<NodeDirectory> {
    const kvm = new Kvm(nc)
    const bucket = nodeBucket(namespace)
    let kv: KV
    try {
      kv = await kvm.create(bucket, { history: 1, ttl, replicas })
    } catch (error) {
      // Another node created it with other settings: use it as it is. If there is none, the
      // creation's own error says why (JetStream off, a cluster not ready to place replicas).
      kv = await kvm.open(bucket).catch(() => {
        throw error
      })
    }
    return new NodeDirectory(nc, kv, namespace, node, logger)
  }

  /**
   * Writes this node's first entry, refusing a live duplicate with INVALID_CONFIG
   * (`reason: 'duplicate-node'`), then answers probes of its id.
   */
  async claim(record: NodeRecord, probeTimeout: number): Promise<void> {
    const body = JSON.stringify(record)
    try {
      await this.#kv.create(this.#node, body)
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error
      const holder = await this.#probe(probeTimeout)
      if (holder !== undefined) {
        throw new PlexusError(
          'INVALID_CONFIG',
          `nats.node: node id '${this.#node}' is held by a live node (instance ${holder}) in namespace '${this.#namespace}'`,
          { data: { key: 'nats.node', reason: 'duplicate-node', node: this.#node, holder } },
        )
      }
      this.#logger.info({ node: this.#node }, 'Node id held by a node that is gone: taken over')
      await this.#kv.put(this.#node, body)
    }
    this.#last = body
    this.#ping = this.#nc.subscribe(pingSubject(this.#namespace, this.#node), {
      callback: (_error, msg) => this.#answer(msg, record.instance, probeTimeout),
    })
    await this.#nc.flush()
  }

  /** The other nodes in the registry now. */
  async peers(): Promise<string[]> {
    const nodes: string[] = []
    for await (const key of await this.#kv.keys()) if (key !== this.#node) nodes.push(key)
    return nodes
  }

  /** Rewrites this node's entry (when it changed, or `force` to keep it within the TTL). */
  async publish(record: NodeRecord, force: boolean): Promise<void> {
    const body = JSON.stringify(record)
    if (!force && body === this.#last) return
    this.#last = body
    await this.#kv.put(this.#node, body)
  }

  /**
   * The first half of a graceful stop: rewrites this node's entry as `record` (serving nothing)
   * and asks every peer, on its ping subject, to answer once it has applied that revision — so
   * that, once this resolves, no peer routes anything new here. Bounded by `timeout` per peer;
   * returns how many peers confirmed.
   */
  async withdraw(record: NodeRecord, timeout: number): Promise<number> {
    const body = JSON.stringify(record)
    this.#last = body
    const revision = await this.#kv.put(this.#node, body)
    const asked = [...this.#seen.keys()].map(async (peer) => {
      try {
        const reply = await this.#nc.request(
          pingSubject(this.#namespace, peer),
          JSON.stringify({ seen: { node: this.#node, revision }, wait: timeout }),
          { timeout },
        )
        return reply.json<{ seen?: unknown }>().seen === true ? 1 : 0
      } catch {
        return 0 // No responders (gone meanwhile) or no answer in time.
      }
    })
    let confirmed = 0
    for (const one of await Promise.all(asked)) confirmed += one
    return confirmed
  }

  /** Reports every other node's entry now and as it changes, until `stop`. */
  async watch(hooks: DirectoryHooks): Promise<void> {
    const watcher = await this.#kv.watch()
    this.#stopWatch = () => watcher.stop()
    void (async () => {
      for await (const entry of watcher) this.#changed(entry, hooks)
    })().catch((error: unknown) => this.#logger.warn({ err: error }, 'Node registry watch ended'))
  }

  /** Stops watching and answering probes; `leave` also deletes this node's entry. */
  async stop(leave: boolean): Promise<void> {
    this.#stopping = true
    for (const waiter of [...this.#awaiting]) waiter.answer()
    this.#stopWatch?.()
    this.#ping?.unsubscribe()
    if (leave) await this.#kv.delete(this.#node)
  }

  #changed(entry: KvWatchEntry, hooks: DirectoryHooks): void {
    if (entry.key === this.#node) {
      // Deleted by a peer that took this node for dead (its loop was blocked past the window):
      // write it back at once, or nobody links to this node again until the next refresh.
      if (entry.operation !== 'PUT' && !this.#stopping && this.#last !== '') {
        this.#kv.put(this.#node, this.#last).catch((error: unknown) => {
          this.#logger.warn({ err: error }, 'Node registry entry not restored')
        })
      }
      return
    }
    if (entry.operation !== 'PUT') {
      hooks.gone(entry.key)
      this.#applied.set(entry.key, Number.MAX_SAFE_INTEGER)
      this.#release(entry.key)
      return
    }
    let record: NodeRecord
    try {
      record = parseRecord(entry.json())
    } catch (error) {
      this.#logger.warn({ node: entry.key, err: error }, 'Unreadable node registry entry ignored')
      return
    }
    this.#seen.set(entry.key, { instance: record.instance, revision: entry.revision })
    hooks.put(entry.key, record)
    this.#applied.set(entry.key, entry.revision)
    this.#release(entry.key)
  }

  /**
   * Answers a probe of this node's id with its instance; a withdrawing peer's probe
   * (`{ seen: { node, revision } }`) is answered `seen: true` only once that revision of its
   * entry was applied here (its instances detached), or `seen: false` after `timeout`.
   */
  #answer(msg: Msg, instance: string, timeout: number): void {
    const asked = seenRequest(msg.data, timeout)
    if (asked === undefined) {
      msg.respond(JSON.stringify({ instance }))
      return
    }
    const answer = (seen: boolean) => void msg.respond(JSON.stringify({ instance, seen }))
    if ((this.#applied.get(asked.node) ?? 0) >= asked.revision) return answer(true)
    // Bounded: forged probes cannot park more than this many answers (each for `timeout`).
    if (this.#awaiting.size >= MAX_AWAITING) return answer(false)
    const waiter = {
      node: asked.node,
      revision: asked.revision,
      answer: () => {
        clearTimeout(timer)
        this.#awaiting.delete(waiter)
        answer(true)
      },
    }
    const timer = setTimeout(() => {
      this.#awaiting.delete(waiter)
      answer(false)
    }, asked.wait)
    this.#awaiting.add(waiter)
  }

  #release(node: string): void {
    const applied = this.#applied.get(node) ?? 0
    for (const waiter of [...this.#awaiting]) {
      if (waiter.node === node && waiter.revision <= applied) waiter.answer()
    }
  }

  /**
   * Deletes the entry of a node found dead, only if it is still the dead process's (compare and
   * set on the revision seen): a zombie entry goes at once, not at the bucket TTL.
   */
  async forget(node: string, instance: string): Promise<void> {
    const seen = this.#seen.get(node)
    if (seen === undefined || seen.instance !== instance) return
    try {
      await this.#kv.delete(node, { previousSeq: seen.revision })
    } catch {
      // Rewritten meanwhile (a successor claimed the id): its entry stays.
    }
  }

  /** The instance of a live holder of this node id, or undefined when nobody answers. */
  async #probe(timeout: number): Promise<string | undefined> {
    try {
      const answer = await this.#nc.request(pingSubject(this.#namespace, this.#node), '', {
        timeout,
      })
      const { instance } = answer.json<{ instance?: unknown }>()
      return typeof instance === 'string' ? instance : 'unknown'
    } catch {
      // No responders (its connection is gone) or no answer in time (its process is gone).
      return undefined
    }
  }
}

function isWrongLastSequence(error: unknown): boolean {
  const e = error as { message?: unknown; api_error?: { err_code?: unknown } }
  return (
    e.api_error?.err_code === WRONG_LAST_SEQUENCE ||
    (typeof e.message === 'string' && /wrong last sequence/.test(e.message))
  )
}

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A probe's body comes from the network: `{ seen: { node, revision } }` or anything else. */
function seenRequest(
  data: Uint8Array,
  fallback: number,
): { node: string; revision: number; wait: number } | undefined {
  if (data.length === 0 || data.length > 1024) return undefined
  try {
    const body = JSON.parse(new TextDecoder().decode(data)) as { seen?: unknown; wait?: unknown }
    const seen = body.seen as { node?: unknown; revision?: unknown } | undefined
    // How long the withdrawing node waits (its drain timeout), bounded here.
    const wait =
      typeof body.wait === 'number' && body.wait > 0 ? Math.min(body.wait, MAX_WAIT) : fallback
    if (
      typeof seen?.node === 'string' &&
      NODE_ID.test(seen.node) &&
      typeof seen.revision === 'number' &&
      Number.isSafeInteger(seen.revision) &&
      seen.revision > 0
    ) {
      return { node: seen.node, revision: seen.revision, wait }
    }
  } catch {
    // Not JSON: a plain probe.
  }
  return undefined
}

/** A registry entry comes from the network: check its shape before anything uses it. */
function parseRecord(value: unknown): NodeRecord {
  const record = value as Partial<NodeRecord> | null
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.instance !== 'string' ||
    !Array.isArray(record.services)
  ) {
    throw new PlexusError('VALIDATION', 'A node registry entry needs { instance, services[] }')
  }
  return { instance: record.instance, services: record.services }
}
