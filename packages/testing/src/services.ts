import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

/** True when PLEXUS_REQUIRE_SERVICES=1 (CI): an absent component fails its test, never skips it. */
export const servicesRequired = (): boolean => process.env['PLEXUS_REQUIRE_SERVICES'] === '1'

/** The executable `name` (a bare name looked up on PATH, or an absolute path), if there is one. */
export function findBinary(name: string): string | undefined {
  const candidates = isAbsolute(name)
    ? [name]
    : (process.env['PATH'] ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined
}

/**
 * A `skip` value for a test that needs the real component `name` (nats-server, redis-server,
 * prometheus, python3, ...): the reason, naming how to install it, when it is absent; false when
 * it is present, or when PLEXUS_REQUIRE_SERVICES=1 (then `requireBinary` fails the test instead).
 *
 * @example
 * test('publishes over NATS', { skip: binarySkip('nats-server', 'apt-get install nats-server') }, ...)
 */
export function binarySkip(name: string, install: string): string | false {
  if (servicesRequired() || findBinary(name) !== undefined) return false
  return `${name} is not installed (${install}); set PLEXUS_REQUIRE_SERVICES=1 to fail instead`
}

/** The path of `name`; throws naming it when absent (the PLEXUS_REQUIRE_SERVICES=1 case). */
export function requireBinary(name: string): string {
  const path = findBinary(name)
  if (path === undefined) {
    throw new Error(`${name} is required but not installed (PLEXUS_REQUIRE_SERVICES=1)`)
  }
  return path
}
