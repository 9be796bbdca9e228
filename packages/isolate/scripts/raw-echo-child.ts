/**
 * The raw floor's child: length-prefixed JSON `{id,a,b}` in, `{id,r}` out on fd 3, replies
 * coalesced per tick. No envelope, no checks: what a hand-written socket costs.
 */
import { Socket } from 'node:net'

const socket = new Socket({ fd: 3, readable: true, writable: true })
let buffered: Buffer = Buffer.alloc(0)
let out: Buffer[] = []
let scheduled = false
const flush = () => {
  scheduled = false
  socket.write(Buffer.concat(out))
  out = []
}
socket.on('data', (chunk: Buffer) => {
  buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
  let offset = 0
  while (buffered.length - offset >= 4) {
    const size = buffered.readUInt32BE(offset)
    if (buffered.length - offset - 4 < size) break
    const msg = JSON.parse(buffered.toString('utf8', offset + 4, offset + 4 + size)) as {
      id: number
      a: number
      b: number
    }
    offset += 4 + size
    const body = Buffer.from(JSON.stringify({ id: msg.id, r: msg.a + msg.b }))
    const head = Buffer.alloc(4)
    head.writeUInt32BE(body.length)
    out.push(head, body)
  }
  buffered = buffered.subarray(offset)
  if (!scheduled && out.length > 0) {
    scheduled = true
    setImmediate(flush)
  }
})
socket.on('end', () => process.exit(0))
