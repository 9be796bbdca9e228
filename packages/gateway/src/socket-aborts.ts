import type { Socket } from 'node:net'
import { PlexusError } from '@plexus/kernel'

/**
 * One cancel signal per client connection, shared by the calls its requests make. HTTP/1.1
 * answers a connection's requests in order, so whatever is in flight when the connection
 * closes belongs to a client that went away; a keep-alive connection's requests then pay no
 * `AbortController` and no listener of their own. The kernel drops its listener on the signal
 * when a call settles, so a long-lived connection collects none.
 */
export class SocketAborts {
  readonly #bySocket = new WeakMap<Socket, AbortController>()

  /** The signal that aborts with `CANCELLED` once `socket` closes. */
  of(socket: Socket): AbortSignal {
    let abort = this.#bySocket.get(socket)
    if (abort === undefined) {
      const controller = new AbortController()
      if (socket.destroyed) controller.abort(gone())
      else socket.once('close', () => controller.abort(gone()))
      this.#bySocket.set(socket, controller)
      abort = controller
    }
    return abort.signal
  }
}

function gone(): PlexusError {
  return new PlexusError('CANCELLED', 'The client went away')
}
