import assert from 'node:assert/strict'
import { after, afterEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { PlexusError } from '@plexus/kernel'
import {
  checkEnvelope,
  decodeEnvelope,
  PROTOCOL_REASONS,
  encodeEnvelope,
  encodeFrame,
  FrameDecoder,
  type Envelope,
} from '@plexus/wire'
import { readFileSync } from 'node:fs'
import { body, everyEnvelope, frame, requestBody, short, u32 } from './fixtures.js'

/** Seeded PRNG (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = rng(20261123)
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)))

const tally = { cases: 0, rejected: 0, acceptedByChance: 0, crashes: 0 }
const reasons = new Map<string, number>()
/** Every non-PROTOCOL error thrown, with the case that raised it (a crash: the case goes on). */
const crashes: { label: string; error: unknown }[] = []

/**
 * Feeds one case through the decoder path a link uses (push, decode each frame, end) and
 * returns the PROTOCOL errors it raised (`end: false` leaves the stream open, to inspect the
 * decoder mid-stream). Anything else thrown is a crash: it is recorded in
 * `crashes` (and counted) rather than thrown, so every case still runs and the tally is real;
 * the `afterEach` below turns the count into each test's verdict.
 */
function feed(chunks: Buffer[], decoder = new FrameDecoder(), end = true): PlexusError[] {
  const errors: PlexusError[] = []
  const attempt = (fn: () => void) => {
    try {
      fn()
    } catch (error) {
      if (!(error instanceof PlexusError) || error.code !== 'PROTOCOL') {
        tally.crashes++
        crashes.push({ label: `case #${tally.cases + 1}`, error })
        return
      }
      errors.push(error)
    }
  }
  for (const chunk of chunks) {
    let frames: Buffer[] = []
    attempt(() => (frames = decoder.push(chunk)))
    for (const f of frames) attempt(() => decodeEnvelope(f))
    if (decoder.error) return errors
  }
  if (end) attempt(() => decoder.end())
  return errors
}

function decodeOne(bodyBytes: Buffer): PlexusError[] {
  return feed([frame(bodyBytes)])
}

/** Records one case; `mustReject` cases fail the test when nothing was refused. */
let crashesCounted = 0
function count(errors: PlexusError[], mustReject: boolean, label: string, reason?: string): void {
  tally.cases++
  // A case that crashed is neither accepted nor rejected; its crash fails the test in afterEach.
  const crashed = crashes.length > crashesCounted
  crashesCounted = crashes.length
  if (crashed) return
  if (errors.length === 0) {
    assert.ok(!mustReject, `${label}: a bad frame was accepted`)
    tally.acceptedByChance++
    return
  }
  tally.rejected++
  for (const e of errors) {
    const r = (e.data as { reason: string }).reason
    reasons.set(r, (reasons.get(r) ?? 0) + 1)
  }
  if (reason !== undefined) {
    const seen = errors.map((e) => (e.data as { reason: string }).reason)
    assert.ok(seen.includes(reason), `${label}: expected reason ${reason}, got ${seen.join(',')}`)
  }
}

const validFrames = everyEnvelope.map((e) => encodeFrame(e))
const N = 1000

describe('decoding malformed input', () => {
  let checked = 0
  afterEach(() => {
    // Each test fails on its own crashes, naming the first; the last test checks the total.
    const fresh = crashes.slice(checked)
    checked = crashes.length
    assert.equal(
      fresh.length,
      0,
      `${fresh.length} crashes, first at ${fresh[0]?.label}: ${String(fresh[0]?.error)}`,
    )
  })
  after(() => {
    // Shown in the test output so the counts are visible in CI logs.
    console.log(
      `fuzz: ${tally.cases} bad inputs, ${tally.rejected} rejected with PROTOCOL, ` +
        `${tally.acceptedByChance} random inputs valid by chance, ${tally.crashes} crashes; ` +
        `reasons ${JSON.stringify(Object.fromEntries(reasons))}`,
    )
  })

  it('never crashes on random byte streams in random chunks (only PROTOCOL errors)', () => {
    for (let i = 0; i < N; i++) {
      const data = bytes(int(0, 96))
      const cut = int(0, data.length)
      count(feed([data.subarray(0, cut), data.subarray(cut)]), false, `random #${i}`)
    }
  })

  it('never crashes on random bodies of every type (only PROTOCOL errors)', () => {
    for (let i = 0; i < N; i++) {
      count(decodeOne(body(1, int(1, 13), bytes(int(0, 40)))), false, `random body #${i}`)
    }
  })

  it('rejects every stream cut off inside a header or a frame', () => {
    for (let i = 0; i < N; i++) {
      const f = pick(validFrames)
      count(feed([f.subarray(0, int(1, f.length - 1))]), true, `cut #${i}`, 'truncated')
    }
  })

  it('rejects every frame whose length prefix is wrong', () => {
    for (let i = 0; i < N; i++) {
      const f = Buffer.from(pick(validFrames))
      const size = f.length - 4
      let wrong = size
      while (wrong === size) wrong = Math.max(0, size + int(-12, 12))
      f.writeUInt32BE(wrong, 0)
      count(feed([f]), true, `prefix ${wrong} for ${size} (#${i})`)
    }
  })

  it('rejects every declared length above the limit up to 4 GiB at once, buffering nothing', () => {
    for (let i = 0; i < N; i++) {
      const declared = i === 0 ? 0xffffffff : int(16 * 1024 * 1024 + 1, 0xffffffff)
      const decoder = new FrameDecoder()
      // The header, then the first bytes of the body it announces, in one chunk or in two; the
      // stream stays open (no end()), so nothing is discarded that a live link would keep.
      const data = Buffer.concat([Buffer.from(u32(declared)), bytes(int(1, 64))])
      const cut = int(1, data.length)
      const errors = feed([data.subarray(0, cut), data.subarray(cut)], decoder, false)
      assert.equal(decoder.bufferedBytes, 0, `declared ${declared}: bytes kept after refusing`)
      count(errors, true, `declared ${declared}`, 'frame-too-large')
    }
  })

  it('rejects every JSON section nested deeper than the limit, up to 10k levels', () => {
    for (let i = 0; i < N; i++) {
      const depth = i === 0 ? 10_000 : int(101, 10_000)
      const open = Array.from({ length: depth }, () => pick(['[', '{"a":']))
      const text =
        open.join('') +
        '1' +
        open
          .reverse()
          .map((o) => (o === '[' ? ']' : '}'))
          .join('')
      count(decodeOne(requestBody(text)), true, `depth ${depth}`, 'too-deep')
    }
  })

  it('rejects a 4 MiB frame of nested arrays before parsing it', () => {
    const text = '['.repeat(2 * 1024 * 1024) + ']'.repeat(2 * 1024 * 1024)
    count(decodeOne(requestBody(text)), true, 'huge nesting', 'too-deep')
  })

  it('rejects every invalid UTF-8 sequence in names and JSON strings', () => {
    const bad = [
      [0xff],
      [0xc0, 0x80],
      [0x80],
      [0xe2, 0x82],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]
    for (let i = 0; i < N; i++) {
      const seq = Buffer.from(pick(bad))
      const inName = random() < 0.5
      const text = Buffer.concat([Buffer.from('{"s":"ab'), seq, Buffer.from('cd"}')])
      const address = Buffer.concat([Buffer.from('math.'), seq])
      const b = inName ? requestBody('{}', address) : requestBody(text)
      count(decodeOne(b), true, `utf8 #${i}`, 'utf8')
    }
  })

  it('rejects every unknown envelope version', () => {
    for (let i = 0; i < N; i++) {
      const version = pick([0, ...Array.from({ length: 254 }, (_, v) => v + 2)])
      const b = Buffer.from(pick(validFrames).subarray(4))
      b[0] = version
      count(decodeOne(b), true, `version ${version}`, 'version')
    }
  })

  it('rejects every unknown envelope type', () => {
    for (let i = 0; i < N; i++) {
      const t = pick([0, ...Array.from({ length: 242 }, (_, v) => v + 14)])
      count(decodeOne(body(1, t, bytes(int(0, 20)))), true, `type ${t}`, 'type')
    }
  })

  it('rejects every body with missing, extra or ill-typed fields', () => {
    const malformed: Buffer[] = [
      body(1, 12, u32(1), [0]), // PING with a trailing byte
      body(1, 13, [0, 0]), // PONG cut short
      body(1, 7, u32(1), [9]), // STREAM_END with a trailing byte
      body(1, 11, u32(1), u32(0)), // CREDIT of 0
      body(1, 11, u32(1)), // CREDIT without n
      body(1, 2, u32(1), [7, 0], u32(1), short('a.b')), // unknown kind
      body(1, 2, u32(1), [0, 0x80], u32(1), short('a.b')), // unknown flag
      body(1, 2, u32(1), [0, 0], u32(1), short('')), // empty address
      body(1, 2, u32(1), [0, 1], u32(1), short('a.b'), u32(2), '[]'), // meta not an object
      body(1, 2, u32(1), [0, 1], u32(1), short('a.b'), u32(99), '{}'), // meta overruns
      body(1, 2, u32(1), [0, 0], u32(1), [0, 200], 'a.b'), // address overruns
      body(1, 2, u32(1), [0, 4], u32(1), u32(0), short('a.b')), // credit 0
      body(1, 4, u32(1)), // ERROR without error
      body(1, 4, u32(1), '{"code":1,"message":"m"}'), // ERROR code not a string
      body(1, 4, u32(1), '"oops"'), // ERROR not an object
      body(1, 5, [3, 0], short('a.b')), // unknown delivery
      body(1, 5, [0, 0], short('')), // empty topic
      body(1, 1, '{"versions":[],"role":"host","services":[]}'), // no versions
      body(1, 1, '{"versions":[1],"role":"boss","services":[]}'), // bad role
      body(1, 1, '{"versions":[1],"role":"host","services":[{"name":"x"}]}'), // bad manifest
      body(1, 1, '[1]'), // HELLO not an object
      body(1, 3, u32(1), '{"a":'), // bad JSON
      body(1, 3, u32(1), '1 2'), // trailing JSON
      Buffer.from([1]), // no type byte
      Buffer.alloc(0), // empty frame
    ]
    for (let i = 0; i < N; i++) {
      count(decodeOne(pick(malformed)), true, `malformed #${i}`)
    }
  })

  it('rejects every structured-clone envelope with a missing or ill-typed required field', () => {
    const required: Record<number, string[]> = {
      1: ['versions', 'role', 'services'],
      2: ['id', 'kind', 'address', 'deadline'],
      3: ['id'],
      4: ['id', 'error'],
      5: ['topic', 'delivery'],
      6: ['id'],
      7: ['id'],
      8: ['id'],
      9: ['id'],
      10: ['id'],
      11: ['id', 'n'],
      12: ['seq'],
      13: ['seq'],
    }
    const number = [undefined, null, -1, 1.5, 2 ** 32, '1', NaN, {}]
    const wrong: Record<string, unknown[]> = {
      id: number,
      seq: number,
      n: [...number, 0],
      kind: [undefined, 'fetch', 1, null],
      address: [undefined, '', 7, null, []],
      topic: [undefined, '', 7, null, []],
      deadline: [undefined, -1, NaN, Infinity, '5', null],
      role: [undefined, 'boss', 1],
      versions: [undefined, [], [0], ['1'], 1],
      services: [undefined, {}, [1], 'x', [{ name: 'x' }]],
      error: [undefined, null, 'x', { code: 1, message: 'm' }, []],
      delivery: [undefined, 'all', 0],
    }
    let rejected = 0
    for (let i = 0; i < N; i++) {
      const value = structuredClone(pick(everyEnvelope)) as unknown as Record<string, unknown>
      const field = pick(required[value.t as number] as string[])
      const replacement = pick(wrong[field] as unknown[])
      if (replacement === undefined) delete value[field]
      else value[field] = replacement
      try {
        checkEnvelope(value)
      } catch (error) {
        assert.ok(error instanceof PlexusError && error.code === 'PROTOCOL')
        rejected++
        continue
      }
      assert.fail(`accepted ${JSON.stringify(value)} with ${field}=${String(replacement)}`)
    }
    tally.cases += N
    tally.rejected += rejected
  })

  it('keeps decoding valid frames on a link after a bad envelope (only framing is fatal)', () => {
    const decoder = new FrameDecoder()
    const chunk = Buffer.concat([
      encodeFrame({ t: 12, seq: 1 }),
      frame(body(1, 99)),
      frame(requestBody('{"a":')),
      encodeFrame({ t: 12, seq: 2 }),
    ])
    const outcomes = decoder.push(chunk).map((f) => {
      try {
        return decodeEnvelope(f).t
      } catch (error) {
        return (error as PlexusError).code
      }
    })
    assert.deepEqual(outcomes, [12, 'PROTOCOL', 'PROTOCOL', 12])
  })

  it('names the exchange id in a decode error when it could be read', () => {
    const errors = decodeOne(body(1, 3, u32(4242), '{"bad'))
    assert.equal((errors[0]?.data as { id: number }).id, 4242)
  })

  it('gives only reasons listed in PROTOCOL_REASONS, each documented in docs/protocol.md', () => {
    const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('## 11.'), doc.indexOf('## 12.'))
    const documented = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1])
    assert.deepEqual([...documented].sort(), [...PROTOCOL_REASONS].sort())
    for (const reason of reasons.keys())
      assert.ok(PROTOCOL_REASONS.includes(reason as never), reason)
  })

  it('ran at least 10,000 bad inputs with 0 crashes, every rejection PROTOCOL', () => {
    assert.ok(tally.cases >= 10_000, `only ${tally.cases} cases`)
    assert.equal(tally.crashes, 0)
  })
})

describe('prototype poisoning', () => {
  const snapshot = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',')
  const before = snapshot()

  /** A JSON tree with the marker key placed at the end of `path` (objects and arrays). */
  const poisoned = fc
    .tuple(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.constantFrom('object', 'array'), { maxLength: 30 }),
      fc.constantFrom(
        '"__proto__"',
        '"\\u005f_proto__"',
        '"__pr\\u006fto__"',
        '"\\u005F\\u005Fproto\\u005F\\u005F"',
        'CTOR',
      ),
      fc.constantFrom('input', 'meta', 'output', 'payload', 'item', 'hello'),
    )
    .map(([tree, path, key, where]) => {
      let text =
        key === 'CTOR'
          ? `{"constructor":{"prototype":{"polluted":true}},"x":${JSON.stringify(tree)}}`
          : `{${key}:{"polluted":true},"x":${JSON.stringify(tree)}}`
      for (const step of path.reverse()) text = step === 'object' ? `{"k":${text}}` : `[0,${text}]`
      return { text, where }
    })

  function bodyFor(text: string, where: string): Buffer {
    switch (where) {
      case 'input':
        return requestBody(text)
      case 'meta':
        return body(1, 2, u32(1), [0, 1], u32(9), short('a.b'), u32(Buffer.byteLength(text)), text)
      case 'output':
        return body(1, 3, u32(1), text)
      case 'payload':
        return body(1, 5, [0, 1], short('a.b'), u32(2), '{}', text)
      case 'item':
        return body(1, 8, u32(1), text)
      default:
        return body(1, 1, `{"versions":[1],"role":"host","services":[],"name":"n","extra":${text}}`)
    }
  }

  it('rejects __proto__ and constructor.prototype at any depth in every JSON section (1k cases)', () => {
    fc.assert(
      fc.property(poisoned, ({ text, where }) => {
        const errors = decodeOne(bodyFor(text, where))
        assert.equal(errors.length, 1)
        assert.equal((errors[0]?.data as { reason: string }).reason, 'proto-key')
        assert.equal(snapshot(), before)
        assert.equal(({} as { polluted?: unknown }).polluted, undefined)
      }),
      { numRuns: 1000, seed: 42 },
    )
  })

  it('rejects the same keys in structured-clone envelopes', () => {
    fc.assert(
      fc.property(poisoned, ({ text }) => {
        const value = { t: 3, id: 1, output: JSON.parse(text) as unknown }
        assert.throws(() => checkEnvelope(structuredClone(value)), {
          code: 'PROTOCOL',
          data: {
            reason: 'proto-key',
            key: text.includes('constructor') ? 'constructor.prototype' : '__proto__',
          },
        })
        assert.equal(snapshot(), before)
      }),
      { numRuns: 300, seed: 43 },
    )
  })

  it('accepts ordinary keys named like them: a constructor string, a prototype field', () => {
    const envelope: Envelope = {
      t: 3,
      id: 1,
      output: { constructor: 'Car', prototype: { a: 1 }, proto: 1, ['__proto']: 2 },
    }
    assert.deepEqual(decodeEnvelope(encodeEnvelope(envelope)), envelope)
  })
})
