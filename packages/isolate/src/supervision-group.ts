import { PlexusError } from '@plexus/kernel'
import { resolveRestart, type RestartPolicy } from './isolation-settings.js'
import { RestartBudget } from './restart-budget.js'

/** Topic of the event emitted when a group exceeds its restart intensity (every member FAILED). */
export const GROUP_FAILED_TOPIC = 'plexus.group.failed'
/** Topic of the event emitted when a group has restarted the members a failure touched. */
export const GROUP_RESTARTED_TOPIC = 'plexus.group.restarted'

/** Erlang's strategies: which members restart when one fails. */
export type GroupStrategy = 'one_for_one' | 'rest_for_one' | 'one_for_all'

/** A supervision group's policy, given to `isolation({ groups: { name: policy } })`. */
export interface GroupPolicy extends Partial<RestartPolicy> {
  /** Which members restart when one fails (default `one_for_one`). */
  strategy?: GroupStrategy
}

/** What a group needs of a member instance (an IsolatedInstance in this package). */
export interface GroupMember {
  /** The instance id, for logs and events. */
  readonly id: string
  /** Ends the member's guest because a sibling failed; its calls in flight end UNAVAILABLE. */
  terminate(reason: string): Promise<void>
  /** Starts the member's guest again (after `terminate` or its own exit). */
  relaunch(): Promise<void>
  /** Gives the member up: FAILED, like a member past its own intensity. */
  giveUp(error: PlexusError): void
  /** Emits a supervision event on the member's kernel. */
  announce(topic: string, detail: Record<string, unknown>): void
}

const STRATEGIES: readonly GroupStrategy[] = ['one_for_one', 'rest_for_one', 'one_for_all']

/**
 * A supervision group over instances of several services (Erlang's supervisor). Members join
 * in the order the kernel starts them, which follows dependencies, so "the ones after it" are
 * the ones that may depend on it. When a member's guest dies, the group takes one restart from
 * its own budget (intensity in period, shared by every member), ends the guests of the other
 * members the strategy touches (last started first), then starts every touched member again in
 * start order, each after the previous one is running. Past the intensity the group escalates:
 * every member is FAILED and one `plexus.group.failed` event is emitted. Failures are handled
 * one at a time, so a member dying during a restart queues the next round behind it.
 */
export class SupervisionGroup {
  readonly name: string
  readonly strategy: GroupStrategy
  readonly policy: RestartPolicy
  /** The budget every member's restarts are taken from. */
  readonly budget: RestartBudget
  readonly #members: GroupMember[] = []
  #rounds: Promise<void> = Promise.resolve()
  #failed = false

  constructor(name: string, policy: GroupPolicy) {
    const strategy = policy.strategy ?? 'one_for_one'
    if (!STRATEGIES.includes(strategy)) {
      throw new PlexusError(
        'INVALID_ARGUMENT',
        `Supervision group '${name}': strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`,
      )
    }
    this.name = name
    this.strategy = strategy
    this.policy = resolveRestart(policy, `Supervision group '${name}'`)
    this.budget = new RestartBudget(this.policy)
  }

  /** The members in start order (ids). */
  get members(): readonly string[] {
    return this.#members.map((m) => m.id)
  }

  /** A member started for the first time (or again after it left): it goes last. */
  join(member: GroupMember): void {
    if (!this.#members.includes(member)) this.#members.push(member)
    this.#failed = false
  }

  /** A member stopped for good (kernel stop, replace, unregister). */
  leave(member: GroupMember): void {
    const at = this.#members.indexOf(member)
    if (at >= 0) this.#members.splice(at, 1)
  }

  /** A member's guest died unexpectedly: restart what the strategy says, in order, or escalate. */
  exited(member: GroupMember, error: PlexusError, now: number): void {
    this.#rounds = this.#rounds.then(() => this.#round(member, error, now))
  }

  /** The budget is spent (here or in a member's start retries): every member FAILED, one event. */
  escalate(cause: PlexusError): void {
    if (this.#failed) return
    this.#failed = true
    const members = [...this.#members]
    const failure = new PlexusError(
      'UNAVAILABLE',
      `Supervision group '${this.name}' failed: restart intensity exceeded (${this.policy.intensity} in ${this.policy.period} ms); last cause: ${cause.message}`,
      { retryable: true, cause, data: { group: this.name, state: 'failed' } },
    )
    for (const member of members) member.giveUp(failure)
    members[0]?.announce(GROUP_FAILED_TOPIC, {
      group: this.name,
      strategy: this.strategy,
      members: members.map((m) => m.id),
      reason: cause.message,
    })
  }

  async #round(failed: GroupMember, error: PlexusError, now: number): Promise<void> {
    if (this.#failed || !this.#members.includes(failed)) return
    const wait = this.budget.take(now)
    if (wait === undefined) {
      this.escalate(error)
      return
    }
    const touched = this.#touchedBy(failed)
    const reason = `restarted with group '${this.name}' (${this.strategy}) after '${failed.id}' failed`
    for (const member of [...touched].reverse()) {
      if (member !== failed) await member.terminate(reason)
    }
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    for (const member of touched) {
      if (this.#failed || !this.#members.includes(member)) return
      try {
        await member.relaunch()
      } catch {
        // The member's start retries took from this group's budget and escalated if spent.
        return
      }
    }
    failed.announce(GROUP_RESTARTED_TOPIC, {
      group: this.name,
      strategy: this.strategy,
      failed: failed.id,
      restarted: touched.map((m) => m.id),
      reason: error.message,
    })
  }

  #touchedBy(failed: GroupMember): GroupMember[] {
    if (this.strategy === 'one_for_all') return [...this.#members]
    if (this.strategy === 'rest_for_one') return this.#members.slice(this.#members.indexOf(failed))
    return [failed]
  }
}
