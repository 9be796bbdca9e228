import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { natsStore } from '@plexus/kv'
import { reportGates, scale, startNatsCluster, until } from '@plexus/testing'
import { killProcess as kill, startProcess as start } from './chaos-processes.js'
import { skip } from './helpers.js'

const TOTAL = scale({ small: 1500, full: 30_000 })
const RATE = scale({ small: 500, full: 1000 })
const PUBLISHER = fileURLToPath(new URL('./fixtures/durable-publisher.ts', import.meta.url))
const SUBSCRIBER = fileURLToPath(new URL('./fixtures/durable-subscriber.ts', import.meta.url))

/** What the test has read from the processes' output so far. */
class Log {
  readonly acked = new Set<string>()
  readonly handled = new Set<string>()
  deliveries = 0
  sent = 0
  /** PubAcks saying the stream already had the id: an earlier, unacknowledged publish landed. */
  landed = 0
  readonly claims = new Map<string, number>()
  readonly ordered: number[] = []
  done = false

  line(text: string): void {
    const [kind, a, b] = text.split(' ')
    if (kind === 'a') {
      this.acked.add(a!)
      if (b === 'dup') this.landed++
    } else if (kind === 's') this.sent = Number(a)
    else if (kind === 'h') {
      this.deliveries++
      this.handled.add(a!)
    } else if (kind === 'x') this.claims.set(a!, (this.claims.get(a!) ?? 0) + 1)
    else if (kind === 'o') this.ordered.push(Number(a))
    else if (kind === 'done') this.done = true
  }
}

test(
  `T14: ${TOTAL} durable events on an R3 stream while the publisher and the subscriber are SIGKILLed and each server is bounced in turn — 0 acknowledged events lost, 0 duplicate side effects, 0 out of order`,
  { skip, timeout: 300_000 },
  async (t) => {
    const cluster = await startNatsCluster(t, 3)
    await cluster.ready()
    const urls = cluster.urls.join(',')
    const dir = await mkdtemp(join(tmpdir(), 'plexus-t14-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const log = new Log()
    let subscriber = await start(t, SUBSCRIBER, [urls], log)
    const publish = async (): Promise<ChildProcess> => {
      const file = join(dir, `acked-${Date.now()}`)
      await writeFile(file, [...log.acked].join('\n'))
      return start(t, PUBLISHER, [urls, String(TOTAL), file, String(RATE)], log)
    }
    let publisher = await publish()
    const reached = (what: string, share: number, of: () => number) =>
      until(
        `${what} ${Math.round(share * 100)} %`,
        () => (of() >= share * TOTAL ? true : undefined),
        { ms: 120_000 },
      )
    let unknown = 0
    // 1. The publisher dies with publishes in flight: those are "unknown"; its successor
    //    re-emits every id it has no PubAck for (JetStream drops the ones already stored).
    await reached('acknowledged', 0.2, () => log.acked.size)
    await kill(publisher)
    unknown += Math.max(0, log.sent - log.acked.size)
    publisher = await publish()
    // 2. The subscriber dies with deliveries in flight; its events are redelivered after ackWait.
    await reached('handled', 0.35, () => log.handled.size)
    await kill(subscriber)
    subscriber = await start(t, SUBSCRIBER, [urls], log)
    // 3. The server monkey, as T13's: each nats-server in turn taken down (SIGKILL, SIGTERM,
    //    SIGKILL) while publishing goes on until 5 % more are acknowledged, then started again,
    //    and the cluster whole (R3 placeable) before the next goes down.
    await reached('acknowledged', 0.5, () => log.acked.size)
    for (const [i, victim] of cluster.servers.entries()) {
      await (i % 2 === 0 ? victim.kill() : victim.stop())
      const before = log.acked.size
      await until(
        `publishing to go on with server ${i} down`,
        () => (log.acked.size >= Math.min(TOTAL, before + 0.05 * TOTAL) ? true : undefined),
        { ms: 120_000 },
      )
      await victim.start()
      await cluster.ready(60_000)
    }
    // 4. Everything acknowledged (the last publisher says done), then handled by both services.
    await until('the publisher to finish', () => (log.done ? true : undefined), { ms: 180_000 })
    await until(
      'every event handled by sink',
      () => (log.handled.size >= TOTAL ? true : undefined),
      { ms: 180_000 },
    )
    await until(
      'every event handled by ledger',
      () => (new Set(log.ordered).size >= TOTAL ? true : undefined),
      { ms: 180_000 },
    )
    await kill(subscriber)
    await kill(publisher)

    const ids = Array.from({ length: TOTAL }, (_, n) => `e${n}`)
    // list() reads every key: give it room (1 ms-ish per key on a loaded machine).
    const store = natsStore({
      servers: cluster.urls,
      bucket: 'chaos_dedup',
      timeout: 120_000,
      replicas: 3,
    })
    // Right after the last bounce the JetStream API may still time out (UNAVAILABLE, retryable):
    // open as a user would, retrying that, bounded.
    await until(
      'the dedup bucket to open on the settled cluster',
      () =>
        store.open().then(
          () => true,
          (error: { code?: string }) => {
            if (error.code !== 'UNAVAILABLE') throw error
            return undefined
          },
        ),
      { ms: 60_000 },
    )
    t.after(() => store.close())
    const marks = new Set((await store.list('dedup/sink/', TOTAL + 10)).map((e) => e.key))
    const lost = ids.filter((id) => log.acked.has(id) && !marks.has(`dedup/sink/${id}`)).length
    const duplicateEffects = [...log.claims.values()].filter((n) => n > 1).length
    // Ordered delivery, judged over the ledger's log across its restarts: a sequence below the
    // highest handled so far is a replay when it was handled before (the killed subscriber had
    // handled it but its ack never reached the server: at-least-once, counted), and out of order
    // when it was not (something newer ran before it).
    let outOfOrder = 0
    let replayed = 0
    let highest = -1
    const ran = new Set<number>()
    for (const seq of log.ordered) {
      if (seq < highest) {
        if (ran.has(seq)) replayed++
        else outOfOrder++
      }
      ran.add(seq)
      if (seq > highest) highest = seq
    }
    reportGates('T14', `${TOTAL} events, R3, 3 servers, 2 kernel SIGKILLs, 3 server bounces`, {
      acknowledged: log.acked.size,
      lost,
      duplicateDeliveries: log.deliveries - log.handled.size,
      duplicateEffects,
      outOfOrder,
      orderedReplays: replayed,
      unknown,
      unknownThatLanded: log.landed,
    })
    assert.equal(log.acked.size, TOTAL, 'every event acknowledged in the end')
    assert.equal(lost, 0, 'every acknowledged event handled (its side effect stored)')
    assert.equal(duplicateEffects, 0)
    assert.equal(outOfOrder, 0)
  },
)
