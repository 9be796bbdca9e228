import { PlexusError, type Logger } from '@plexus/kernel'
import { HostTraffic, Session, createHello } from '@plexus/wire'
import { exitError, type GuestHandle, type Spawn } from './guest-handle.js'
import type { ResolvedSettings } from './isolation-settings.js'

/** What one launch needs: who the guest is, and where its link's events go. */
export interface GuestLaunch {
  readonly id: string
  readonly service: string
  readonly placement: string
  readonly module: string
  readonly settings: ResolvedSettings
  readonly logger: Logger
  readonly traffic: HostTraffic
  /** Why the supervisor is ending this guest, if it is (names the exit). */
  killReason(): string | undefined
  /** The guest exited; `error` is what its messages in flight get. */
  exited(error: PlexusError): void
  /** The link broke (framing): the supervisor kills the guest with this reason. */
  broken(reason: string): void
  /** An envelope was refused on the link. */
  refused(): void
  /** A PONG came back. */
  pong(seq: number): void
}

/** A spawned guest, its session, and the HELLO it owes (rejects on exit, mismatch or timeout). */
export interface LaunchedGuest {
  readonly guest: GuestHandle
  readonly session: Session
  readonly hello: Promise<void>
  /** Clears the HELLO timer. */
  readonly settle: () => void
}

/**
 * Spawns a guest and opens the kernel's side of its link (initiator): its HELLO must name the
 * service expected, within `helloTimeout`; its own traffic is routed through `traffic`.
 */
export function launchGuest(spawn: Spawn, launch: GuestLaunch): LaunchedGuest {
  const { id, settings } = launch
  let hello!: { resolve: () => void; reject: (error: PlexusError) => void }
  const seen = new Promise<void>((resolve, reject) => (hello = { resolve, reject }))
  const spec = {
    module: launch.module,
    id,
    maxOldGenerationSizeMb: settings.maxOldGenerationSizeMb,
    maxYoungGenerationSizeMb: settings.maxYoungGenerationSizeMb,
    stackSizeMb: settings.stackSizeMb,
  }
  const guest = spawn(spec, {
    data: (chunk) => session.receive(chunk),
    exit: (exit) => {
      const error = exitError(exit, id, launch.placement, launch.killReason())
      hello.reject(error)
      launch.exited(error)
    },
  })
  const session = new Session({
    side: 'initiator',
    hello: createHello({ role: 'kernel', name: `kernel pid ${process.pid}` }),
    write: (chunk) => guest.write(chunk),
    logger: launch.logger,
    window: settings.window,
    onRefused: () => launch.refused(),
    handlers: {
      ready: (handshake) => {
        const offered = handshake.peer.services[0]?.name
        if (offered === launch.service) hello.resolve()
        else {
          hello.reject(
            new PlexusError(
              'PROTOCOL',
              `Guest of '${id}' hosts '${String(offered)}', expected '${launch.service}'`,
              { data: { reason: 'handshake' } },
            ),
          )
        }
      },
      broken: (error) => launch.broken(`link broken: ${error.message}`),
      request: (request, exchange) => launch.traffic.request(request, exchange),
      event: (event) => launch.traffic.event(event),
      pong: (seq) => launch.pong(seq),
    },
  })
  const timer = setTimeout(
    () =>
      hello.reject(
        new PlexusError(
          'START_TIMEOUT',
          `Guest of '${id}' did not say HELLO within ${settings.helloTimeout} ms`,
        ),
      ),
    settings.helloTimeout,
  )
  return { guest, session, hello: seen, settle: () => clearTimeout(timer) }
}
