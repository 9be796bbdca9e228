import type { Msg } from '@nats-io/transport-node'
import { PlexusError } from '@plexus/kernel'
import type { NodeRecord } from './node-directory.js'
import { NodeLink, type LinkHost } from './node-link.js'
import { decodeLinkMessage } from './link-message.js'
import { pingSubject } from './subjects.js'

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/
/**
 * Links opened by a first message from a node not (yet) in the registry — a peer that joined a
 * moment ago, or a forgery. Bounded: beyond it such messages are refused; a forged one goes
 * silent and closes within the liveness window.
 */
const MAX_UNREGISTERED = 16
/**
 * After this node reconnects to NATS, how long before it probes the peers it could not judge
 * while cut off: peers cut off by the same outage need their own reconnect (0.5 s + jitter).
 */
const RECONNECT_GRACE = 1000

/** The cluster as this node sees it: the registry entries of the others, and one link per peer. */
export interface ClusterView {
  /** Peers with an open link. */
  readonly links: number
  /** Link messages refused (no headers, bad sequence number, unknown sender link, and below). */
  readonly refused: number
  /** Of those, with link security: messages whose MAC failed (altered, forged, another link's). */
  readonly tampered: number
  /** Of those, with link security: authentic messages behind the link's next number (replays). */
  readonly replayed: number
  /**
   * Peers whose link is down while they are not found gone: their services stay known and are
   * answered UNAVAILABLE (retryable) until a new link serves them or a probe finds them gone.
   */
  readonly unreachable: number
  /** Whether this node's NATS connection is up (false from a disconnect to the reconnect). */
  readonly connected: boolean
}

/**
 * Routes every link message to the session it belongs to and keeps one link per peer: opened on
 * discovery (or on the peer's first message), reset when the peer's side is new (it restarted
 * or reopened), closed when the peer leaves. A link that died is reopened only after the peer
 * proved alive on its ping subject; a peer that is gone has its registry entry removed (compare
 * and set on the dead process's revision, so a successor's entry is never touched). Until one
 * or the other is known, the dead link's instances stay attached, unreachable, so that calls get
 * UNAVAILABLE (retryable) rather than NOT_FOUND; a probe made while this node was cut off from
 * NATS proves nothing and is made again once it is back.
 */
export class NodeCluster implements ClusterView {
  readonly #host: Omit<LinkHost, 'closed'>
  readonly #links = new Map<string, NodeLink>()
  /**
   * With link security: a new link from a peer whose current link is proven, kept beside it
   * until it proves itself too (a restarted peer), so that an unproven first message (a forgery,
   * a replayed HELLO) never resets a working link.
   */
  readonly #pending = new Map<string, NodeLink>()
  readonly #records = new Map<string, NodeRecord>()
  readonly #checking = new Set<string>()
  /** Per peer, the dead link whose instances are kept attached, unreachable (see `unreachable`). */
  readonly #held = new Map<string, NodeLink>()
  /** Peers a probe could not judge because this node's NATS connection was down meanwhile. */
  readonly #recheck = new Map<string, string | undefined>()
  #connected = true
  #outages = 0
  /** Nodes whose entry went (left, or forgotten as dead): a joining node stops waiting for them. */
  readonly #departed = new Set<string>()
  readonly #prefix: string
  readonly #forget: (node: string, instance: string) => void
  #refused = 0
  #tampered = 0
  #replayed = 0
  #stopped = false

  constructor(host: Omit<LinkHost, 'closed'>, forget: (node: string, instance: string) => void) {
    // Envelopes a session refuses count with the header-level refusals.
    this.#host = {
      ...host,
      refused: (why) => {
        this.#refused++
        if (why === 'tampered') this.#tampered++
        else if (why === 'replayed') this.#replayed++
      },
      ready: this.#ready,
      synced: (link) => {
        if (this.#links.get(link.peer) === link) this.#release(link.peer)
      },
    }
    this.#prefix = `plexus.${host.settings.namespace}.link.${host.settings.node}.`
    this.#forget = forget
  }

  get links(): number {
    return this.#links.size
  }

  get refused(): number {
    return this.#refused
  }

  get tampered(): number {
    return this.#tampered
  }

  get replayed(): number {
    return this.#replayed
  }

  get unreachable(): number {
    return this.#held.size
  }

  get connected(): boolean {
    return this.#connected
  }

  /**
   * This node's NATS connection went down or came back. Peers whose probe it spoiled are probed
   * again once peers cut off by the same outage had time to reconnect too.
   */
  connection(up: boolean): void {
    this.#connected = up
    if (!up) {
      this.#outages++
      return
    }
    const outages = this.#outages
    setTimeout(() => {
      if (this.#stopped || !this.#connected || this.#outages !== outages) return
      const again = [...this.#recheck]
      this.#recheck.clear()
      for (const [node, instance] of again) void this.#check(node, instance)
    }, RECONNECT_GRACE).unref()
  }

  /** The link to `node`, if one is open. */
  link(node: string): NodeLink | undefined {
    return this.#links.get(node)
  }

  /** One message on `plexus.<ns>.link.<self>.<from>`. */
  inbound(msg: Msg): void {
    if (this.#stopped) return
    const from = msg.subject.slice(this.#prefix.length)
    const message = decodeLinkMessage(msg.data)
    if (!TOKEN.test(from) || message === undefined || message.seq < 1) {
      this.#refused++
      return
    }
    const { from: sender, to, seq } = message
    const pending = this.#pending.get(from)
    if (
      pending !== undefined &&
      (pending.peerLink === sender || (to !== '' && pending.id === to))
    ) {
      return pending.accept(message)
    }
    let link = this.#links.get(from)
    // Addressed to a session of ours that is gone: the tail of an old link, dropped.
    if (to !== '' && link?.id !== to) return
    if (
      this.#host.keys !== undefined &&
      link?.ready === true &&
      link.peerLink !== undefined &&
      link.peerLink !== sender
    ) {
      // A proven link is replaced only by a link that proves itself: open it beside.
      if (seq !== 1) {
        this.#refused++
        return
      }
      pending?.close(superseded(from), false)
      const candidate = new NodeLink({ ...this.#host, closed: this.#closed }, from)
      this.#pending.set(from, candidate)
      const record = this.#records.get(from)
      if (record !== undefined) candidate.update(record)
      return candidate.accept(message)
    }
    if (link?.peerLink !== undefined && link.peerLink !== sender) {
      link.close(
        new PlexusError('UNAVAILABLE', `Node '${from}' opened a new link (it restarted)`, {
          retryable: true,
          data: { node: from, reason: 'peer-reset' },
        }),
        false,
      )
      link = undefined
    }
    if (
      link === undefined &&
      !this.#records.has(from) &&
      this.#unregistered() >= MAX_UNREGISTERED
    ) {
      this.#refused++
      return
    }
    ;(link ?? this.#open(from)).accept(message)
  }

  #unregistered(): number {
    let count = 0
    for (const peer of this.#links.keys()) if (!this.#records.has(peer)) count++
    return count
  }

  /** A peer's registry entry appeared or changed. */
  put(node: string, record: NodeRecord): void {
    if (this.#stopped) return
    this.#records.set(node, record)
    let link = this.#links.get(node)
    const heard = link?.peerInstance
    const pending = this.#pending.get(node)
    if (pending !== undefined) {
      pending.update(record)
      // The new process is already linking in beside the old link: it takes over once proven.
      if (pending.peerInstance === record.instance) return
    }
    if (link !== undefined && heard !== undefined && heard !== record.instance) {
      // A new process under that id: the old session serves nobody any more.
      link.close(
        new PlexusError('UNAVAILABLE', `Node '${node}' restarted`, {
          retryable: true,
          data: { node, reason: 'restarted' },
        }),
        false,
      )
      link = undefined
    }
    ;(link ?? this.#open(node)).update(record)
  }

  /**
   * Of `nodes`, those not settled yet: a node is settled once its services are attached here
   * (or it serves none), or once it left or was found dead.
   */
  unsettled(nodes: readonly string[]): string[] {
    return nodes.filter((node) => {
      if (this.#departed.has(node)) return false
      const record = this.#records.get(node)
      if (record === undefined) return true
      return record.services.length > 0 && (this.#links.get(node)?.attached ?? 0) === 0
    })
  }

  /** A peer's registry entry was deleted: it left. */
  gone(node: string): void {
    this.#departed.add(node)
    this.#records.delete(node)
    this.#recheck.delete(node)
    this.#pending.get(node)?.close(superseded(node), false)
    this.#links.get(node)?.close(
      new PlexusError('UNAVAILABLE', `Node '${node}' left the cluster`, {
        retryable: true,
        data: { node, reason: 'left' },
      }),
      false,
    )
    this.#release(node)
  }

  /** Closes every link (the kernel is stopping); peers are told so they close theirs at once. */
  stop(error: PlexusError): void {
    this.#stopped = true
    for (const link of [...this.#pending.values()]) link.close(error, true)
    for (const link of [...this.#links.values()]) link.close(error, true)
    for (const node of [...this.#held.keys()]) this.#release(node)
  }

  /** Detaches the instances of `node`'s held dead link, if any. */
  #release(node: string): void {
    const held = this.#held.get(node)
    if (held === undefined) return
    this.#held.delete(node)
    held.release()
  }

  #open(node: string): NodeLink {
    const link = new NodeLink({ ...this.#host, closed: this.#closed }, node)
    this.#links.set(node, link)
    const record = this.#records.get(node)
    if (record !== undefined) link.update(record)
    return link
  }

  /** A link proved its peer: a pending one replaces the peer's current link. */
  readonly #ready = (link: NodeLink): void => {
    if (this.#pending.get(link.peer) !== link) return
    this.#pending.delete(link.peer)
    this.#links.get(link.peer)?.close(
      new PlexusError('UNAVAILABLE', `Node '${link.peer}' opened a new link (it restarted)`, {
        retryable: true,
        data: { node: link.peer, reason: 'peer-reset' },
      }),
      false,
    )
    this.#links.set(link.peer, link)
  }

  readonly #closed = (link: NodeLink, error: PlexusError): void => {
    if (this.#pending.get(link.peer) === link) {
      this.#pending.delete(link.peer)
      return link.release()
    }
    if (this.#links.get(link.peer) === link) this.#links.delete(link.peer)
    const reason = (error.data as { reason?: unknown } | undefined)?.reason
    if (
      this.#stopped ||
      reason === 'left' ||
      reason === 'restarted' ||
      reason === 'peer-reset' ||
      reason === 'unauthorized'
    )
      return link.release()
    // The first dead link keeps the peer's services known until the probe below settles it.
    if (this.#held.has(link.peer)) link.release()
    else this.#held.set(link.peer, link)
    void this.#check(link.peer, link.peerInstance)
  }

  /**
   * After a link died: a peer that still answers its ping subject is linked again (it was
   * busy, or the link lost a message); one that does not is gone, and forgotten.
   */
  async #check(node: string, instance: string | undefined): Promise<void> {
    if (this.#checking.has(node)) return
    this.#checking.add(node)
    const outages = this.#outages
    try {
      let answer: string | undefined
      try {
        const reply = await this.#host.nc.request(
          pingSubject(this.#host.settings.namespace, node),
          '',
          { timeout: this.#host.settings.probeTimeout },
        )
        answer = reply.json<{ instance?: string }>().instance
      } catch {
        answer = undefined
      }
      if (this.#stopped || this.#links.has(node)) return
      const record = this.#records.get(node)
      if (answer === undefined) {
        if (!this.#connected || this.#outages !== outages) {
          // Cut off from NATS meanwhile: no answer says nothing about the peer.
          if (record !== undefined) this.#recheck.set(node, instance)
          return
        }
        if (record !== undefined && (instance === undefined || record.instance === instance)) {
          this.#records.delete(node)
          this.#departed.add(node)
          this.#forget(node, record.instance)
        }
        this.#release(node)
        return
      }
      if (record !== undefined && record.instance === answer) this.#open(node)
      // Another process answers than the entry names: its own entry brings its link.
    } finally {
      this.#checking.delete(node)
    }
  }
}

function superseded(node: string): PlexusError {
  return new PlexusError('UNAVAILABLE', `A newer unproven link from '${node}' replaced this one`, {
    retryable: true,
    data: { node, reason: 'peer-reset' },
  })
}
