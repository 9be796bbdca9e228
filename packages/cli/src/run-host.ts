import { isAbsolute, resolve } from 'node:path'
import { PlexusError, type Logger } from '@plexus/kernel'

/** What `plexus host` needs: the service module and where the kernel listens. */
export interface HostCommand {
  module: string
  connect: string
  token: string | undefined
  name: string | undefined
}

/**
 * `plexus host`: serves one service module to a kernel that listens for hosts (the remote
 * plug-in), reconnecting when the link drops, until SIGTERM or SIGINT.
 */
export async function runHostCommand(command: HostCommand, logger: Logger): Promise<number> {
  const token = command.token ?? process.env.PLEXUS_REMOTE_TOKEN
  if (token === undefined || token === '') {
    throw new PlexusError(
      'INVALID_CONFIG',
      'host: a token is needed: --token <t> or PLEXUS_REMOTE_TOKEN (the kernel’s remote.token)',
      { data: { key: 'remote.token', expected: 'the token the kernel was configured with' } },
    )
  }
  // Loaded on demand: only this command needs the remote package and the guest loader.
  const [{ runHost }, { loadDefinition }] = await Promise.all([
    import('@plexus/remote'),
    import('@plexus/isolate'),
  ])
  const file = isAbsolute(command.module) ? command.module : resolve(command.module)
  const definition = await loadDefinition(file)
  const host = runHost(definition, {
    connect: command.connect,
    token,
    ...(command.name === undefined ? {} : { name: command.name }),
    logger,
  })
  logger.info(
    { service: definition.name, connect: command.connect },
    `Hosting '${definition.name}' for the kernel at ${command.connect}`,
  )
  await new Promise<void>((done) => {
    process.once('SIGTERM', done)
    process.once('SIGINT', done)
  })
  await host.stop()
  return 0
}
