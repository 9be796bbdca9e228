/**
 * Entry of a child-process guest: the link is file descriptor 3, a socket pair the kernel
 * opened when it spawned the child, carrying length-prefixed frames (one write per tick).
 * When the kernel goes away the socket ends and the child exits with it: no orphans.
 */
import { Socket } from 'node:net'
import { runGuest } from './guest-host.js'

const socket = new Socket({ fd: 3, readable: true, writable: true })
const moduleRef = process.env.PLEXUS_GUEST_MODULE ?? ''
const id = process.env.PLEXUS_GUEST_ID ?? 'guest'
const leave = (): never => process.exit(0)
socket.on('end', leave)
socket.on('close', leave)
socket.on('error', leave)

const session = await runGuest(
  {
    write: (chunk) => socket.write(chunk),
    onData: (listener) => socket.on('data', listener),
    close: () => socket.destroy(),
  },
  moduleRef,
  id,
)
socket.on('end', () => session.end())
