/**
 * The head every node-link NATS message starts with (docs/protocol.md §1): the link's own fields
 * travel in the payload, before the frames, not as NATS headers. Headers cost nats.js v3 a
 * header block to build and one to parse per message and turn PUB/MSG into HPUB/HMSG; in a probe
 * (one request in flight, two plain nats.js processes) three headers cut the round trips per
 * second by 13-17 %, and one header cost about as much as three.
 *
 * ```
 * message = version:u8 from:str8 to:str8 seq:u48 mac:str8 body
 * str8    = length:u8 bytes         printable ASCII (0x21-0x7e) only
 * ```
 * `version` is 1; `to` is empty until the peer's link id is known; `mac` is empty without link
 * security; `body` is the link's byte stream segment.
 */

/** The layout version this code writes and reads. */
export const LINK_MESSAGE_VERSION = 1

/** One node-link message, read. */
export interface LinkMessage {
  /** The sending link's id. */
  readonly from: string
  /** The receiving link's id, `''` until the sender knew it. */
  readonly to: string
  /** The message's number on its link: 1, 2, 3… */
  readonly seq: number
  /** The MAC (docs/protocol.md §5.3), `''` without link security. */
  readonly mac: string
  /** The link's bytes this message carries (a view into the message). */
  readonly body: Uint8Array
}

const SEQ_BYTES = 6
const HIGH = 2 ** 32

/** The fixed start of a link's messages (version, `from`, `to`), built once per link and peer. */
export function linkMessageHead(from: string, to: string): Buffer {
  const head = Buffer.allocUnsafe(3 + from.length + to.length)
  head[0] = LINK_MESSAGE_VERSION
  putString(head, putString(head, 1, from), to)
  return head
}

/** A message of the link whose head is `head`: number `seq`, its MAC (or `''`) and `body`. */
export function encodeLinkMessage(
  head: Buffer,
  seq: number,
  mac: string,
  body: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(head.length + SEQ_BYTES + 1 + mac.length + body.length)
  head.copy(out, 0)
  let at = head.length
  out.writeUInt16BE(Math.floor(seq / HIGH) & 0xffff, at)
  out.writeUInt32BE(seq >>> 0, at + 2)
  at = putString(out, at + SEQ_BYTES, mac)
  out.set(body, at)
  return out
}

/** Reads a link message; `undefined` when it is not one (truncated, another version, bad names). */
export function decodeLinkMessage(message: Uint8Array): LinkMessage | undefined {
  if (message.length < 3 + SEQ_BYTES + 1 || message[0] !== LINK_MESSAGE_VERSION) return undefined
  // One Buffer view for the names' latin1 reads (nats.js hands out Buffers; a copy is never made).
  const data = Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  const from = readString(data, 1)
  if (from === undefined || from === '') return undefined
  let at = 2 + from.length
  const to = readString(data, at)
  if (to === undefined) return undefined
  at += 1 + to.length
  if (at + SEQ_BYTES + 1 > data.length) return undefined
  const seq =
    ((data[at]! << 8) | data[at + 1]!) * HIGH +
    (((data[at + 2]! << 24) >>> 0) + (data[at + 3]! << 16) + (data[at + 4]! << 8) + data[at + 5]!)
  at += SEQ_BYTES
  const mac = readString(data, at)
  if (mac === undefined) return undefined
  return { from, to, seq, mac, body: data.subarray(at + 1 + mac.length) }
}

function putString(out: Buffer, at: number, value: string): number {
  if (value.length > 255)
    throw new RangeError(`link message field longer than 255: ${value.length}`)
  out[at] = value.length
  out.write(value, at + 1, 'latin1')
  return at + 1 + value.length
}

function readString(data: Buffer, at: number): string | undefined {
  const length = data[at]
  const end = at + 1 + (length ?? 0)
  if (length === undefined || end > data.length) return undefined
  for (let i = at + 1; i < end; i++) {
    const c = data[i]!
    if (c < 0x21 || c > 0x7e) return undefined
  }
  return data.toString('latin1', at + 1, end)
}
