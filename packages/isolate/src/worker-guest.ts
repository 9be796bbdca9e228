/**
 * Entry of a worker-thread guest: the link is the worker's own port, carrying the coalesced
 * frames of each tick as one latin1 string (strings cross a MessagePort fastest; see
 * docs/isolation.md for the measurements).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runGuest } from './guest-host.js'

const INVALID = Buffer.from([0xff, 0xff, 0xff, 0xff])
const port = parentPort!
const { module, id } = workerData as { module: string; id: string }

await runGuest(
  {
    write: (chunk) => port.postMessage(chunk.toString('latin1')),
    onData: (listener) =>
      port.on('message', (message: unknown) => {
        // Anything but a string is not a frame chunk: feed it as bytes that cannot parse.
        listener(typeof message === 'string' ? Buffer.from(message, 'latin1') : INVALID)
      }),
    close: () => process.exit(70),
  },
  module,
  id,
)
