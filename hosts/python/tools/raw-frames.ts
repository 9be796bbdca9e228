/**
 * Frames written byte by byte, valid or broken on purpose (protocol.md §3 layout), for the
 * malformed-frame checks of fake-kernel.ts.
 */
import { EnvelopeType, encodeFrame } from '@plexus/wire'

const T = EnvelopeType

/** Options of a hand-built REQUEST. */
export interface RawRequestOptions {
  kind?: number
  flags?: number
  meta?: Buffer
  deadline?: number
}

/** A length-prefixed frame around `body`. */
export function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt32BE(body.length)
  return Buffer.concat([head, body])
}

/** A REQUEST frame with `input` as raw bytes and `address` as given (string or raw bytes). */
export function rawRequest(
  id: number,
  address: string | Buffer,
  input: Buffer,
  options: RawRequestOptions = {},
): Buffer {
  const addressBytes = typeof address === 'string' ? Buffer.from(address) : address
  const fixed = Buffer.alloc(12)
  fixed.writeUInt8(1, 0)
  fixed.writeUInt8(T.REQUEST, 1)
  fixed.writeUInt32BE(id, 2)
  fixed.writeUInt8(options.kind ?? 0, 6)
  fixed.writeUInt8(options.flags ?? (options.meta ? 1 : 0), 7)
  fixed.writeUInt32BE(options.deadline ?? 5000, 8)
  const length = Buffer.alloc(2)
  length.writeUInt16BE(addressBytes.length)
  const parts = [fixed, length, addressBytes]
  if (options.meta !== undefined) {
    const metaLength = Buffer.alloc(4)
    metaLength.writeUInt32BE(options.meta.length)
    parts.push(metaLength, options.meta)
  }
  parts.push(input)
  return frame(Buffer.concat(parts))
}

/** One broken frame: the PROTOCOL reason the host must answer its exchange with, if any. */
export interface BadFrame {
  name: string
  frame: Buffer
  id?: number
  /** `data.reason` of the ERROR the host answers with; undefined: dropped without a reply. */
  answer?: string
}

/** Every envelope-level violation of protocol.md §11 (framing errors are tested apart). */
export function badFrames(): BadFrame[] {
  const id = (n: number) => 4_000_001 + 2 * n
  const ping = encodeFrame({ t: T.PING, seq: 9 })
  return [
    {
      name: 'json',
      id: id(0),
      answer: 'json',
      frame: rawRequest(id(0), 'pyecho.echo', Buffer.from('{bad')),
    },
    {
      name: 'proto-key',
      id: id(1),
      answer: 'proto-key',
      frame: rawRequest(id(1), 'pyecho.echo', Buffer.from('{"a":{"\\u005f_proto__":1}}')),
    },
    {
      name: 'too-deep',
      id: id(2),
      answer: 'too-deep',
      frame: rawRequest(id(2), 'pyecho.echo', Buffer.from('['.repeat(101) + ']'.repeat(101))),
    },
    {
      name: 'unknown flag bit',
      id: id(3),
      answer: 'shape',
      frame: rawRequest(id(3), 'pyecho.echo', Buffer.from('1'), { flags: 8 }),
    },
    {
      name: 'unknown kind',
      id: id(4),
      answer: 'shape',
      frame: rawRequest(id(4), 'pyecho.echo', Buffer.from('1'), { kind: 7 }),
    },
    {
      name: 'utf8 in the address',
      id: id(5),
      answer: 'utf8',
      frame: rawRequest(id(5), Buffer.from([0x70, 0x79, 0x2e, 0xc0, 0xaf]), Buffer.from('1')),
    },
    {
      name: 'meta that is an array',
      id: id(6),
      answer: 'shape',
      frame: rawRequest(id(6), 'pyecho.echo', Buffer.from('1'), { meta: Buffer.from('[]') }),
    },
    {
      name: 'JSON with trailing content',
      id: id(7),
      answer: 'json',
      frame: rawRequest(id(7), 'pyecho.echo', Buffer.from('{} {}')),
    },
    { name: 'unknown type', frame: frame(Buffer.from([1, 99, 0, 0, 0, 0])) },
    { name: 'version 2', frame: frame(Buffer.from([2, T.PING, 0, 0, 0, 1])) },
    { name: 'empty frame', frame: frame(Buffer.alloc(0)) },
    {
      name: 'PING with trailing bytes',
      frame: frame(Buffer.concat([ping.subarray(4), Buffer.from([0])])),
    },
    {
      name: 'a second HELLO',
      frame: encodeFrame({ t: T.HELLO, versions: [1], role: 'kernel', services: [] }),
    },
    { name: 'random bytes', frame: frame(Buffer.from([1, 2, 0xde, 0xad])) },
  ]
}
