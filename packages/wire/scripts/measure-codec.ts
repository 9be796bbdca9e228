// Measures encode+decode cost per envelope for the codec candidates, to choose one with figures.
// Run: npm run measure -w packages/wire   with MSGPACKR_NATIVE_ACCELERATION_DISABLED=true to keep msgpackr pure JS
// Prints a Markdown table; the figures and the choice are recorded in docs/protocol.md.
import { MessageChannel } from 'node:worker_threads'
import { Packr } from 'msgpackr'
import {
  checkEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  encodeFrame,
  FrameDecoder,
  FrameWriter,
  type Envelope,
} from '@plexus/wire'

const small = { a: 1, b: 2 }
const big = makeBig(10 * 1024)

function makeBig(bytes: number): unknown {
  const items: unknown[] = []
  const value = { items }
  for (let i = 0; JSON.stringify(value).length < bytes; i++) {
    items.push({
      id: i,
      name: `item-${i}`,
      price: i * 1.5,
      tags: ['new', 'sale'],
      active: i % 2 === 0,
    })
  }
  return value
}

function request(input: unknown): Envelope {
  return { t: 2, id: 123456, kind: 'call', address: 'math.add', input, deadline: 4987 }
}
function requestShort(input: unknown): unknown {
  return { t: 2, i: 123456, k: 0, a: 'math.add', p: input, d: 4987 }
}
function requestArray(input: unknown): unknown {
  return [2, 123456, 0, 'math.add', input, 4987]
}

type Case = { name: string; run: (input: unknown) => () => void }

const packr = new Packr({ useRecords: false })
const packrRecords = new Packr({ useRecords: true, structuredClone: false })

function jsonFloor(input: unknown): () => void {
  // The raw floor of BENCHMARKS.md: length-prefixed JSON of {id, ...input}, no checks.
  const message = { id: 123456, ...(input as object) }
  return () => {
    const text = JSON.stringify(message)
    const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(text))
    frame.writeUInt32BE(frame.length - 4, 0)
    frame.write(text, 4)
    JSON.parse(frame.toString('utf8', 4))
  }
}

function jsonUnchecked(make: (input: unknown) => unknown) {
  return (input: unknown) => {
    const envelope = make(input)
    return () => {
      const text = JSON.stringify(envelope)
      const frame = Buffer.allocUnsafe(5 + Buffer.byteLength(text))
      frame.writeUInt32BE(frame.length - 4, 0)
      frame[4] = 1
      frame.write(text, 5)
      JSON.parse(frame.toString('utf8', 5))
    }
  }
}

const cases: Case[] = [
  { name: 'floor: length-prefixed JSON `{id,...input}`, no checks', run: jsonFloor },
  { name: 'JSON envelope, long keys, no checks', run: jsonUnchecked(request) },
  { name: 'JSON envelope, 1-letter keys, no checks', run: jsonUnchecked(requestShort) },
  { name: 'JSON envelope, positional array, no checks', run: jsonUnchecked(requestArray) },
  {
    name: 'JSON envelope + checks (parse, shape, depth, __proto__, UTF-8)',
    run: (input) => {
      const envelope = request(input)
      return () => {
        const text = JSON.stringify(envelope)
        const frame = Buffer.allocUnsafe(5 + Buffer.byteLength(text))
        frame.writeUInt32BE(frame.length - 4, 0)
        frame[4] = 1
        frame.write(text, 5)
        checkEnvelope(JSON.parse(frame.toString('utf8', 5)))
      }
    },
  },
  {
    name: '**chosen: binary header + JSON sections, all checks (encodeFrame + decodeEnvelope)**',
    run: (input) => {
      const envelope = request(input)
      return () => {
        decodeEnvelope(encodeFrame(envelope).subarray(4))
      }
    },
  },
  {
    name: 'msgpackr pack/unpack (plain maps)',
    run: (input) => {
      const envelope = request(input)
      return () => {
        packr.unpack(packr.pack(envelope))
      }
    },
  },
  {
    name: 'msgpackr pack/unpack (records)',
    run: (input) => {
      const envelope = request(input)
      return () => {
        packrRecords.unpack(packrRecords.pack(envelope))
      }
    },
  },
  {
    name: 'port path: structuredClone + checkEnvelope',
    run: (input) => {
      const envelope = request(input)
      return () => {
        checkEnvelope(structuredClone(envelope))
      }
    },
  },

  {
    name: 'chosen, batched: FrameWriter (100 per flush) + FrameDecoder + decodeEnvelope',
    run: (input) => {
      const envelope = request(input)
      let chunk: Buffer = Buffer.alloc(0)
      const writer = new FrameWriter((c) => (chunk = c), { schedule: () => {} })
      const decoder = new FrameDecoder()
      let i = 0
      return () => {
        writer.write(envelope)
        if (++i % 100 === 0) {
          writer.flush()
          for (const frame of decoder.push(chunk)) decodeEnvelope(frame)
        }
      }
    },
  },
]

/** ns/op of `fn` over `ops` calls, after a short warm-up. */
function time(fn: () => void, ops: number): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < ops; i++) fn()
  return Number(process.hrtime.bigint() - start) / ops
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

/**
 * Runs every case once per round, rounds interleaved (A B C ... A B C ...), so that load from
 * other processes hits all cases alike; reports each case's median and its median ratio to
 * the floor (case 0) computed round by round.
 */
function measureAll(input: unknown, ops: number, rounds: number): { ns: number; ratio: number }[] {
  const fns = cases.map((c) => c.run(input))
  for (const fn of fns) time(fn, ops / 4)
  const samples = fns.map((): number[] => [])
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => samples[i]?.push(time(fn, ops)))
  const floor = samples[0] as number[]
  return samples.map((s) => ({
    ns: median(s),
    ratio: median(s.map((v, r) => v / (floor[r] as number))),
  }))
}

async function portRoundTrip(make: () => unknown, count: number): Promise<number> {
  const { port1, port2 } = new MessageChannel()
  let received = 0
  let done: () => void = () => {}
  port2.on('message', () => {
    if (++received === count) done()
  })
  const finished = new Promise<void>((resolve) => (done = resolve))
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) port1.postMessage(make())
  await finished
  const ns = Number(process.hrtime.bigint() - start) / count
  port1.close()
  return ns
}

const rows: string[] = []
rows.push('| codec | `{a:1,b:2}` call ns/op | × floor | 10 KiB call ns/op | × floor |')
rows.push('|---|---:|---:|---:|---:|')
const smallResults = measureAll(small, 30_000, 9)
const bigResults = measureAll(big, 400, 9)
cases.forEach((c, i) => {
  const s = smallResults[i] as { ns: number; ratio: number }
  const b = bigResults[i] as { ns: number; ratio: number }
  rows.push(
    `| ${c.name} | ${s.ns.toFixed(0)} | ${s.ratio.toFixed(2)} | ${b.ns.toFixed(0)} | ${b.ratio.toFixed(2)} |`,
  )
})
console.log(`10 KiB payload: ${JSON.stringify(big).length} bytes of JSON`)
console.log(`small request frame: ${encodeFrame(request(small)).length} bytes`)
console.log(rows.join('\n'))

const env = request(small)
const envBig = request(big)
const port: string[] = [
  '',
  '| MessagePort, encode + post + receive, same thread | small ns/msg | 10 KiB ns/msg |',
  '|---|---:|---:|',
]
for (let r = 0; r < 2; r++) {
  const objSmall = await portRoundTrip(() => env, 50_000)
  const objBig = await portRoundTrip(() => envBig, 5_000)
  const strSmall = await portRoundTrip(() => JSON.stringify(env), 50_000)
  const strBig = await portRoundTrip(() => JSON.stringify(envBig), 5_000)
  const binSmall = await portRoundTrip(() => encodeEnvelope(env), 50_000)
  const binBig = await portRoundTrip(() => encodeEnvelope(envBig), 5_000)
  const latinSmall = await portRoundTrip(() => encodeEnvelope(env).toString('latin1'), 50_000)
  const latinBig = await portRoundTrip(() => encodeEnvelope(envBig).toString('latin1'), 5_000)
  if (r === 1) {
    port.push(
      `| envelope object (structured clone) | ${objSmall.toFixed(0)} | ${objBig.toFixed(0)} |`,
    )
    port.push(`| JSON string of the envelope | ${strSmall.toFixed(0)} | ${strBig.toFixed(0)} |`)
    port.push(`| encoded body (Buffer, copied) | ${binSmall.toFixed(0)} | ${binBig.toFixed(0)} |`)
    port.push(
      `| encoded body as a latin1 string | ${latinSmall.toFixed(0)} | ${latinBig.toFixed(0)} |`,
    )
  }
}
console.log(port.join('\n'))
