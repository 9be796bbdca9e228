import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PlexusError } from '@plexus/kernel'
import { decodeEnvelope, encodeFrame, FrameDecoder, type Envelope } from '@plexus/wire'
import { everyEnvelope, u32 } from './fixtures.js'

const stream = Buffer.concat(everyEnvelope.map((e) => encodeFrame(e)))

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Envelope[] {
  const out: Envelope[] = []
  for (const chunk of chunks) for (const f of decoder.push(chunk)) out.push(decodeEnvelope(f))
  return out
}

describe('frame decoder', () => {
  it('yields the same frames when the stream is split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder()
      const out = decodeAll(decoder, [stream.subarray(0, cut), stream.subarray(cut)])
      assert.deepEqual(out, everyEnvelope, `split at byte ${cut}`)
      assert.equal(decoder.bufferedBytes, 0)
      decoder.end()
    }
  })

  it('yields the same frames when fed one byte at a time', () => {
    const decoder = new FrameDecoder()
    const bytes = [...stream].map((b) => Buffer.from([b]))
    assert.deepEqual(decodeAll(decoder, bytes), everyEnvelope)
  })

  it('yields the same frames for random chunkings, 200 of them', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 40
    for (let run = 0; run < 200; run++) {
      const chunks: Buffer[] = []
      for (let at = 0; at < stream.length;) {
        const size = Math.floor(random())
        chunks.push(stream.subarray(at, at + size))
        at += size
      }
      assert.deepEqual(decodeAll(new FrameDecoder(), chunks), everyEnvelope)
    }
  })

  it('yields a thousand frames coalesced into one chunk, in order', () => {
    const envelopes = Array.from({ length: 1000 }, (_, id): Envelope => ({ t: 3, id, output: id }))
    const chunk = Buffer.concat(envelopes.map((e) => encodeFrame(e)))
    assert.deepEqual(decodeAll(new FrameDecoder(), [chunk]), envelopes)
  })

  it('accepts a frame of exactly the maximum size and refuses one byte more', () => {
    const body = Buffer.alloc(100)
    const decoder = new FrameDecoder({ maxFrameSize: 100 })
    assert.equal(decoder.push(Buffer.concat([Buffer.from(u32(100)), body])).length, 1)
    assert.throws(() => decoder.push(Buffer.from(u32(101))), { code: 'PROTOCOL' })
  })

  it('refuses a declared 4 GiB frame as soon as its header arrives, holding nothing', () => {
    const decoder = new FrameDecoder()
    const error = (() => {
      try {
        decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))
      } catch (e) {
        return e
      }
    })()
    assert.ok(error instanceof PlexusError)
    assert.equal(error.code, 'PROTOCOL')
    assert.deepEqual(error.data, {
      reason: 'frame-too-large',
      size: 0xffffffff,
      maxFrameSize: 16 * 1024 * 1024,
    })
    assert.match(error.message, /declares 4294967295 bytes; the limit is 16777216/)
    assert.equal(decoder.bufferedBytes, 0)
  })

  it('refuses an oversized header split across chunks too', () => {
    const decoder = new FrameDecoder()
    decoder.push(Buffer.from([0xff, 0xff]))
    assert.throws(() => decoder.push(Buffer.from([0xff, 0xff, 1, 2, 3])), { code: 'PROTOCOL' })
  })

  it('stays failed after a framing error: every later push throws the same error', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 10 })
    assert.throws(() => decoder.push(Buffer.from(u32(11))))
    const first = decoder.error
    assert.ok(first)
    assert.throws(
      () => decoder.push(encodeFrame({ t: 12, seq: 1 })),
      (e) => e === first,
    )
    assert.throws(
      () => decoder.end(),
      (e) => e === first,
    )
  })

  it('reports a stream that ends inside a header or a frame as truncated', () => {
    const frame = encodeFrame({ t: 3, id: 1, output: 'hello' })
    for (let cut = 1; cut < frame.length; cut++) {
      const decoder = new FrameDecoder()
      assert.deepEqual(decoder.push(frame.subarray(0, cut)), [])
      assert.throws(
        () => decoder.end(),
        (e) => e instanceof PlexusError && (e.data as { reason: string }).reason === 'truncated',
      )
    }
  })

  it('does not copy a frame that arrives whole in one chunk', () => {
    const chunk = encodeFrame({ t: 3, id: 1, output: 'x' })
    const [frame] = new FrameDecoder().push(chunk)
    assert.ok(frame)
    assert.equal(frame.buffer, chunk.buffer)
  })
})
