import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PlexusError, createKernel, type LogFields, type Logger } from '@plexus/kernel'
import { Session, installIsolation } from '@plexus/isolate'
import { createHello } from '@plexus/wire'
import malicious, { BAD } from './fixtures/malicious.js'
import { eventually, fixture, heapAfterGc } from './helpers.js'

/** A logger that keeps what it is given, so tests can see refused envelopes being reported. */
function capture() {
  const lines: { level: string; fields: LogFields; message: string }[] = []
  const make = (bound: LogFields): Logger => {
    const log =
      (level: string) =>
      (fields: LogFields, message = '') =>
        void lines.push({ level, fields: { ...bound, ...fields }, message })
    return {
      level: 'debug',
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (more: LogFields) => make({ ...bound, ...more }),
    } as unknown as Logger
  }
  return { lines, logger: make({}) }
}

const FRAMING = new Set<string>(['random bytes', 'wrong length prefix', '4 GiB declared length'])

for (const placement of ['worker', 'process']) {
  describe(`malformed frames from a ${placement} guest`, () => {
    it('refuses each kind with a typed PROTOCOL error; envelope errors keep the link, framing errors replace the guest; the kernel never crashes', async () => {
      const { lines, logger } = capture()
      const kernel = installIsolation(createKernel({ logger }))
      kernel.add(malicious, {
        placement,
        module: fixture('malicious'),
        settings: { restart: { intensity: 10, period: 10_000, backoff: 10 } },
      })
      await kernel.start()
      let restarts = 0
      const refused = () => kernel.services()[0]!.instances[0]!.refused
      for (const kind of Object.keys(BAD) as (keyof typeof BAD)[]) {
        const refusedBefore = refused()
        const outcome = await kernel.call('malicious.inject', { kind }).then(
          (v) => v,
          (e: { code: string; retryable: boolean }) => e,
        )
        if (FRAMING.has(kind)) {
          restarts++
          const error = outcome as { code: string; retryable: boolean }
          assert.equal(error.code, 'UNAVAILABLE', kind)
          assert.equal(error.retryable, true)
          const status = () => kernel.services()[0]!.instances[0]!
          assert.ok(
            await eventually(() => status().restarts === restarts && status().state === 'running'),
          )
        } else {
          assert.equal(outcome, 'sent', kind)
        }
        assert.equal(await kernel.call('malicious.ok', 1), 1, `valid traffic after ${kind}`)
        // A framing error may follow a refused envelope (random bytes can hold a frame first).
        if (FRAMING.has(kind)) assert.ok(refused() > refusedBefore, `${kind} counted as refused`)
        else assert.equal(refused(), refusedBefore + 1, `${kind} counted once as refused`)
      }
      const logged = lines.filter((l) => l.fields.code === 'PROTOCOL')
      assert.ok(logged.length >= Object.keys(BAD).length, `${logged.length} refusals logged`)
      const reasons = new Set(logged.map((l) => (l.fields.data as { reason: string }).reason))
      for (const reason of [
        'version',
        'type',
        'shape',
        'json',
        'proto-key',
        'too-deep',
        'utf8',
        'frame-too-large',
      ]) {
        assert.ok(reasons.has(reason), `reason ${reason} in ${[...reasons].join(', ')}`)
      }
      await kernel.stop()
    })

    it('10,000 bad envelopes of every kind alongside valid traffic: 0 errors on it, each refusal counted, logging capped, heap flat (T18)', async () => {
      const { lines, logger } = capture()
      const kernel = installIsolation(createKernel({ logger }))
      kernel.add(malicious, { placement, module: fixture('malicious') })
      await kernel.start()
      const kinds = (Object.keys(BAD) as (keyof typeof BAD)[]).filter((k) => !FRAMING.has(k))
      const heapBefore = heapAfterGc()
      // Valid traffic: 4 callers in a loop until the bad frames are all in.
      let injecting = true
      let validCalls = 0
      const valid = Array.from({ length: 4 }, async (_, lane) => {
        for (let i = 0; injecting; i++) {
          assert.equal(await kernel.call('malicious.ok', lane * 1e6 + i), lane * 1e6 + i)
          validCalls++
        }
      })
      const TOTAL = 10_000
      for (let sent = 0, round = 0; sent < TOTAL; round++) {
        const n = Math.min(500, TOTAL - sent)
        await kernel.call('malicious.inject', { kind: kinds[round % kinds.length], n, far: true })
        sent += n
      }
      // Counted where a user sees it: the instance's `refused` figure in kernel.services().
      const counted = () => kernel.services()[0]!.instances[0]!.refused
      assert.ok(await eventually(() => counted() === TOTAL), `${counted()} refusals counted`)
      injecting = false
      await Promise.all(valid)
      assert.ok(validCalls > 0)
      assert.equal(kernel.services()[0]!.instances[0]!.restarts, 0, 'the link stayed up')
      const logged = lines.filter((l) => l.fields.code === 'PROTOCOL').length
      assert.ok(logged <= 10 + TOTAL / 1000, `${logged} log lines for ${TOTAL} refusals`)
      const growth = heapAfterGc() - heapBefore
      assert.ok(Math.abs(growth) < 5 * 1024 * 1024, `heap moved by ${growth} bytes`)
      await kernel.stop()
    })
  })
}

describe('a session fed random bytes', () => {
  it('never throws: 2,000 random chunks end as counted violations or a broken link', () => {
    let broken = 0
    for (let round = 0; round < 200; round++) {
      const session = new Session({
        side: 'initiator',
        hello: createHello({ role: 'kernel' }),
        write: () => {},
        logger: capture().logger,
        handlers: {
          ready: () => {},
          broken: () => void broken++,
          request: () => {},
          event: () => {},
        },
      })
      for (let i = 0; i < 10; i++) {
        const size = (Math.random() * 64) | 0
        session.receive(Buffer.from(Array.from({ length: size }, () => (Math.random() * 256) | 0)))
      }
      session.close(new PlexusError('UNAVAILABLE', 'done'))
    }
    assert.ok(broken > 0)
  })
})
