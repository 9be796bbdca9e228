import { PlexusError } from '@plexus/kernel'

/** What the kernel side hears from one running guest (a worker or a child process). */
export interface GuestEvents {
  /** Bytes from the guest. */
  data(chunk: Uint8Array): void
  /** The guest is gone; `cause` says why (exit code, signal, out of memory, uncaught error). */
  exit(cause: GuestExit): void
}

/** Why a guest ended. */
export interface GuestExit {
  /** A short stable reason: `ERR_WORKER_OUT_OF_MEMORY`, `ERR_CHILD_OUT_OF_MEMORY`, `SIGKILL`, `exit 1`, `uncaught`... */
  reason: string
  /** The guest's own error, when it reported one. */
  error?: Error | PlexusError
}

/** One running guest as its spawner hands it over. */
export interface GuestHandle {
  /** Process id of a child; undefined for a worker thread. */
  readonly pid: number | undefined
  /** Thread id of a worker; undefined for a child. */
  readonly threadId: number | undefined
  /** Sends bytes to the guest. */
  write(chunk: Buffer): void
  /** Ends the link; the guest leaves by itself. */
  close(): void
  /** Ends the guest now (terminate / SIGKILL), whatever it is doing. */
  kill(): void
}

/** What a spawner needs to start a guest. */
export interface GuestSpec {
  /** Service module to import (absolute path or file URL). */
  module: string
  /** Instance id, for the guest's logs. */
  id: string
  /** Old-generation heap limit in MiB (worker resourceLimits, child --max-old-space-size). */
  maxOldGenerationSizeMb: number | undefined
  /** Young-generation limit in MiB (workers only). */
  maxYoungGenerationSizeMb: number | undefined
  /** Stack size in MiB (workers only). */
  stackSizeMb: number | undefined
}

/** Starts a guest. */
export type Spawn = (spec: GuestSpec, events: GuestEvents) => GuestHandle

/**
 * The error every message in flight on a guest that ended gets: UNAVAILABLE, retryable,
 * naming why (out of memory, replaced by the supervisor for `killReason`, its own error, or
 * its exit code or signal).
 */
export function exitError(
  exit: GuestExit,
  instance: string,
  placement: string,
  killReason: string | undefined,
): PlexusError {
  const why =
    exit.reason === 'ERR_WORKER_OUT_OF_MEMORY' || exit.reason === 'ERR_CHILD_OUT_OF_MEMORY'
      ? `ran out of memory (${exit.reason})`
      : killReason !== undefined
        ? `was replaced (${killReason})`
        : exit.error !== undefined
          ? `died: ${exit.error.message}`
          : `died (${exit.reason})`
  return new PlexusError('UNAVAILABLE', `Instance '${instance}' (${placement}) ${why}`, {
    retryable: true,
    data: { instance, reason: killReason ?? exit.reason },
    ...(exit.error === undefined ? {} : { cause: exit.error }),
  })
}

/**
 * Ends a guest: closes its link, gives it `grace` ms to leave by itself, then kills it, and
 * resolves once `gone()` says its exit was handled (or at a ceiling, should it never be).
 */
export async function endGuest(
  guest: GuestHandle,
  gone: () => boolean,
  grace: number,
): Promise<void> {
  const left = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (gone()) {
        clearInterval(check)
        resolve()
      }
    }, 5)
    check.unref()
  })
  guest.close()
  const kill = setTimeout(() => guest.kill(), grace)
  const ceiling = new Promise<void>((resolve) => setTimeout(resolve, grace + 2000).unref())
  await Promise.race([left, ceiling])
  clearTimeout(kill)
}
