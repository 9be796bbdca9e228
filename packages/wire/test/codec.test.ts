import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PlexusError } from '@plexus/kernel'
import {
  checkEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  encodeFrame,
  FrameDecoder,
  FrameWriter,
  type Envelope,
} from '@plexus/wire'
import { everyEnvelope } from './fixtures.js'

function roundTrip(envelope: Envelope): Envelope {
  return decodeEnvelope(encodeEnvelope(envelope))
}

function protocolFailure(fn: () => unknown): PlexusError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof PlexusError, `expected a PlexusError, got ${String(error)}`)
    assert.equal(error.code, 'PROTOCOL')
    return error
  }
  assert.fail('expected a PROTOCOL error')
}

describe('envelope codec', () => {
  it('round-trips every envelope type, with and without optional fields', () => {
    const types = new Set<number>()
    for (const envelope of everyEnvelope) {
      assert.deepEqual(roundTrip(envelope), envelope)
      types.add(envelope.t)
    }
    assert.equal(types.size, 13)
  })

  it('round-trips every envelope type through a structured clone and checkEnvelope', () => {
    for (const envelope of everyEnvelope) {
      assert.deepEqual(checkEnvelope(structuredClone(envelope)), envelope)
    }
  })

  it('writes a length prefix equal to the body size, then version 1 and the type', () => {
    const frame = encodeFrame({ t: 12, seq: 7 })
    assert.deepEqual([...frame], [0, 0, 0, 6, 1, 12, 0, 0, 0, 7])
  })

  it('matches the byte layout of the examples in docs/protocol.md', () => {
    const hex = (e: Envelope) => encodeFrame(e).toString('hex')
    const call: Envelope = {
      t: 2,
      id: 1,
      kind: 'call',
      address: 'math.add',
      input: { a: 1, b: 2 },
      deadline: 5000,
    }
    assert.equal(
      hex(call),
      '00000023' +
        '0102' +
        '00000001' +
        '0000' +
        '00001388' +
        '0008' +
        '6d6174682e616464' +
        Buffer.from('{"a":1,"b":2}').toString('hex'),
    )
    assert.equal(hex({ t: 3, id: 1, output: 3 }), '00000007' + '0103' + '00000001' + '33')
    assert.equal(hex({ t: 11, id: 3, n: 16 }), '0000000a' + '010b' + '00000003' + '00000010')
  })

  it('encodes a small call in a few dozen bytes', () => {
    const call: Envelope = {
      t: 2,
      id: 1,
      kind: 'call',
      address: 'math.add',
      input: { a: 1, b: 2 },
      deadline: 5000,
    }
    assert.ok(encodeFrame(call).length <= 40, `got ${encodeFrame(call).length} bytes`)
  })

  it('rounds a fractional deadline budget up, so a live call never arrives with 0 ms', () => {
    const decoded = roundTrip({ t: 2, id: 1, kind: 'call', address: 'a.b', deadline: 0.2 })
    assert.equal(decoded.t === 2 && decoded.deadline, 1)
  })

  it('carries undefined outputs and items as absent fields', () => {
    assert.deepEqual(roundTrip({ t: 3, id: 1, output: undefined }), { t: 3, id: 1 })
    assert.deepEqual(roundTrip({ t: 6, id: 1, item: undefined }), { t: 6, id: 1 })
  })

  it('rebuilds a PlexusError intact: code, retryable, data and cause chain', () => {
    const root = new PlexusError('UNAVAILABLE', 'instance crashed', { data: { pid: 42 } })
    const error = new PlexusError('HANDLER', 'charge failed', {
      retryable: true,
      data: { orderId: 'o-1', amounts: [1, 2.5] },
      cause: root,
    })
    const decoded = roundTrip({ t: 4, id: 3, error: error.toJSON() })
    assert.equal(decoded.t, 4)
    const rebuilt = PlexusError.fromJSON(decoded.t === 4 ? decoded.error : undefined)
    assert.equal(rebuilt.code, 'HANDLER')
    assert.equal(rebuilt.message, 'charge failed')
    assert.equal(rebuilt.retryable, true)
    assert.deepEqual(rebuilt.data, { orderId: 'o-1', amounts: [1, 2.5] })
    assert.ok(rebuilt.cause instanceof PlexusError)
    assert.equal(rebuilt.cause.code, 'UNAVAILABLE')
    assert.equal(rebuilt.cause.retryable, true)
    assert.deepEqual(rebuilt.cause.data, { pid: 42 })
  })

  it('keeps a plain Error cause by name and message', () => {
    const error = new PlexusError('HANDLER', 'oops', { cause: new TypeError('x is undefined') })
    const decoded = roundTrip({ t: 4, id: 1, error: error.toJSON() })
    const rebuilt = PlexusError.fromJSON(decoded.t === 4 ? decoded.error : undefined)
    assert.ok(rebuilt.cause instanceof Error)
    assert.equal(rebuilt.cause.name, 'TypeError')
    assert.equal(rebuilt.cause.message, 'x is undefined')
  })

  it('refuses to encode a cyclic output with PROTOCOL unserializable naming the exchange', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const error = protocolFailure(() => encodeFrame({ t: 3, id: 77, output: cyclic }))
    assert.deepEqual(
      { reason: (error.data as { reason: string }).reason, id: (error.data as { id: number }).id },
      { reason: 'unserializable', id: 77 },
    )
  })

  it('refuses to encode an envelope over the frame limit, naming size and limit', () => {
    const error = protocolFailure(() =>
      encodeFrame({ t: 6, id: 5, item: 'x'.repeat(2000) }, { maxFrameSize: 1024 }),
    )
    assert.equal((error.data as { reason: string }).reason, 'frame-too-large')
    assert.equal((error.data as { id: number }).id, 5)
    assert.match(error.message, /limit is 1024/)
  })

  it('carries large and multi-byte payloads exactly', () => {
    const text = 'é日🎉'.repeat(30_000)
    const items = Array.from({ length: 2000 }, (_, i) => ({ i, s: `item-${i}` }))
    assert.deepEqual(roundTrip({ t: 3, id: 1, output: { text, items } }), {
      t: 3,
      id: 1,
      output: { text, items },
    })
  })
})

describe('frame writer', () => {
  it('hands every frame written in one tick to the sink as one chunk', async () => {
    const chunks: Buffer[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk), { batchFrames: Infinity })
    for (const envelope of everyEnvelope) writer.write(envelope)
    assert.equal(chunks.length, 0)
    assert.equal(writer.pendingFrames, everyEnvelope.length)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(chunks.length, 1)
    const decoder = new FrameDecoder()
    const decoded = decoder.push(chunks[0] as Buffer).map((f) => decodeEnvelope(f))
    assert.deepEqual(decoded, everyEnvelope)
    assert.equal(decoder.bufferedBytes, 0)
  })

  it('coalesces writes made from promise continuations in the same tick', async () => {
    const chunks: Buffer[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk), { batchFrames: Infinity })
    await Promise.all(
      Array.from({ length: 100 }, async (_, id) => {
        await Promise.resolve()
        await Promise.resolve()
        writer.write({ t: 3, id, output: id })
      }),
    )
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(chunks.length, 1)
    assert.equal(new FrameDecoder().push(chunks[0] as Buffer).length, 100)
  })

  it('writes a burst in batches of batchFrames as it grows, and the remainder at the end of the tick', async () => {
    const chunks: Buffer[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk))
    for (let id = 1; id <= 40; id++) writer.write({ t: 3, id, output: id })
    assert.deepEqual(
      chunks.map((chunk) => new FrameDecoder().push(chunk).length),
      [16, 16],
      'the default batch is 16 frames, written as soon as it is full',
    )
    assert.equal(writer.pendingFrames, 8)
    await new Promise((resolve) => setImmediate(resolve))
    const decoder = new FrameDecoder()
    const ids = chunks.flatMap((chunk) =>
      decoder.push(chunk).map((frame) => (decodeEnvelope(frame) as { id: number }).id),
    )
    assert.deepEqual(
      ids,
      Array.from({ length: 40 }, (_, i) => i + 1),
    )
  })

  it('flushes on demand, and drops queued frames after close', () => {
    const chunks: Buffer[] = []
    const scheduled: (() => void)[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk), {
      schedule: (flush) => scheduled.push(flush),
    })
    writer.write({ t: 12, seq: 1 })
    writer.flush()
    assert.equal(chunks.length, 1)
    writer.write({ t: 12, seq: 2 })
    writer.close()
    writer.write({ t: 12, seq: 3 })
    for (const flush of scheduled) flush()
    assert.equal(chunks.length, 1)
  })

  it('refuses an envelope that cannot be encoded and keeps the others', () => {
    const chunks: Buffer[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk), { maxFrameSize: 64 })
    writer.write({ t: 12, seq: 1 })
    assert.throws(() => writer.write({ t: 3, id: 2, output: 'x'.repeat(100) }), {
      code: 'PROTOCOL',
    })
    writer.write({ t: 12, seq: 3 })
    writer.flush()
    const decoded = new FrameDecoder().push(chunks[0] as Buffer).map((f) => decodeEnvelope(f))
    assert.deepEqual(decoded, [
      { t: 12, seq: 1 },
      { t: 12, seq: 3 },
    ])
  })

  it("returns each frame's size from write: never less than its bytes, within 16 of them above 64 KiB", () => {
    const chunks: Buffer[] = []
    const writer = new FrameWriter((chunk) => chunks.push(chunk), { batchFrames: 1 })
    const small = writer.write({ t: 3, id: 1, output: 'x' })
    const large = writer.write({ t: 3, id: 2, output: 'y'.repeat(100_000) })
    assert.ok(small >= (chunks[0] as Buffer).length)
    const written = (chunks[1] as Buffer).length
    assert.ok(large >= written && large - written <= 16, `${large} for ${written} bytes`)
    writer.close()
    assert.equal(writer.write({ t: 12, seq: 1 }), 0)
  })

  it('reports a failing sink to onError when a full batch flushes inside write', () => {
    const seen: unknown[] = []
    const writer = new FrameWriter(
      () => {
        throw new Error('socket destroyed')
      },
      { onError: (error) => seen.push(error), batchFrames: 2 },
    )
    writer.write({ t: 12, seq: 1 })
    assert.doesNotThrow(() => writer.write({ t: 12, seq: 2 }))
    assert.equal(seen.length, 1)
  })

  it('reports a failing sink to onError instead of throwing from the scheduled flush', async () => {
    const seen: unknown[] = []
    const writer = new FrameWriter(
      () => {
        throw new Error('socket destroyed')
      },
      { onError: (error) => seen.push(error) },
    )
    writer.write({ t: 12, seq: 1 })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(seen.length, 1)
  })
})
