import { silentLogger } from '@plexus/kernel'
import { createHello, Session, type Envelope, type SessionHandlers } from '@plexus/wire'

/**
 * A test session on `side` (the initiator speaks as a kernel, the acceptor as a host, each named
 * after its side) with the silent logger: `request` and the transport are the test's, the other
 * handlers do nothing unless given.
 */
export function testSession(
  side: 'initiator' | 'acceptor',
  handlers: Pick<SessionHandlers, 'request'> & Partial<SessionHandlers>,
  transport: { write: (chunk: Buffer) => void } | { send: (messages: Buffer[]) => void },
): Session {
  return new Session({
    side,
    hello: createHello({ role: side === 'initiator' ? 'kernel' : 'host', name: side }),
    logger: silentLogger,
    handlers: { ready: () => {}, broken: () => {}, event: () => {}, ...handlers },
    ...transport,
  })
}

/** One envelope of every type, with optional fields both present and absent. */
export const everyEnvelope: Envelope[] = [
  {
    t: 1,
    versions: [1],
    role: 'host',
    name: 'worker-1',
    services: [
      {
        name: 'math',
        version: 2,
        actions: [
          { name: 'add', idempotent: true },
          { name: 'slow', concurrency: 1, queue: 10 },
        ],
        streams: ['count'],
        channels: ['echo'],
        events: [
          { pattern: 'orders.*', delivery: 'balanced' },
          { pattern: 'audit.>', delivery: 'broadcast' },
        ],
        dependencies: ['users'],
      },
    ],
  },
  { t: 1, versions: [1, 2], role: 'kernel', services: [] },
  { t: 2, id: 1, kind: 'call', address: 'math.add', input: { a: 1, b: 2 }, deadline: 5000 },
  {
    t: 2,
    id: 0xffffffff,
    kind: 'channel',
    address: 'chat@2.room',
    input: ['é', '日本', '🎉'],
    meta: { traceId: 'abc', tenant: 'ünï' },
    deadline: 0,
    caller: 'gateway',
    credit: 16,
  },
  { t: 2, id: 2, kind: 'send', address: 'mail.notify', deadline: 0xffffffff },
  { t: 2, id: 3, kind: 'stream', address: 'math.count', input: null, deadline: 250, credit: 1 },
  { t: 3, id: 1, output: 3 },
  { t: 3, id: 4 },
  { t: 3, id: 5, output: { nested: [{ deep: [1, 'two', false, null] }] } },
  {
    t: 4,
    id: 6,
    error: { name: 'PlexusError', code: 'TIMEOUT', message: 'too slow', retryable: true },
  },
  {
    t: 4,
    id: 0,
    error: { name: 'PlexusError', code: 'PROTOCOL', message: 'bye', retryable: false },
  },
  { t: 5, topic: 'orders.created', payload: { id: 1 }, delivery: 'balanced' },
  { t: 5, topic: 'audit.login', delivery: 'broadcast', meta: { by: 'me' } },
  { t: 6, id: 7, item: 42 },
  { t: 6, id: 7, item: '' },
  { t: 7, id: 7 },
  { t: 8, id: 9, item: { line: 'hi' } },
  { t: 8, id: 9 },
  { t: 9, id: 9 },
  { t: 10, id: 7, reason: 'consumer aborted' },
  { t: 10, id: 8 },
  { t: 11, id: 7, n: 8 },
  { t: 12, seq: 0 },
  { t: 13, seq: 0xffffffff },
]

/** Builds a body by hand: version byte, type byte, then the given bytes and text. */
export function body(version: number, t: number, ...parts: (number[] | string | Buffer)[]): Buffer {
  const chunks = parts.map((p) =>
    typeof p === 'string' ? Buffer.from(p) : Buffer.isBuffer(p) ? p : Buffer.from(p),
  )
  return Buffer.concat([Buffer.from([version, t]), ...chunks])
}

/** A u32 in big-endian bytes. */
export function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
}

/** A u16-length-prefixed string. */
export function short(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 255]), bytes])
}

/** A REQUEST body (kind call, no flags) around raw input JSON bytes. */
export function requestBody(input: string | Buffer, address: string | Buffer = 'math.add'): Buffer {
  return body(1, 2, u32(1), [0, 0], u32(1000), short(address), input)
}

/** Prefixes a body with its 4-byte length. */
export function frame(bodyBytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(u32(bodyBytes.length)), bodyBytes])
}
