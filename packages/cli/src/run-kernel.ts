import type { Colors } from './color.js'
import type { ResolvedConfig } from './config-validate.js'
import { boot, type Running } from './boot.js'
import { createLogger } from './logger.js'
import { removeRunFile, writeRunFile } from './run-file.js'
import { watchServices } from './watch-services.js'

/** Options of `plexus start` and `plexus dev`. */
export interface RunOptions {
  /** Watch service files and hot replace them (`plexus dev`). */
  watch: boolean
  colors: Colors
}

/**
 * Runs a kernel until SIGTERM or SIGINT, then drains and stops it. Writes the run file the other
 * commands read, and prints where the application listens and how to try it.
 */
export async function runKernel(config: ResolvedConfig, options: RunOptions): Promise<number> {
  const logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    name: config.name,
  })
  let running: Running
  try {
    running = await boot(config, logger, { dev: options.watch })
  } catch (error) {
    logger.error({ err: error }, 'Failed to start')
    throw error
  }
  const { kernel } = running
  const unwatch = options.watch
    ? watchServices(config.services, (name) => running.replace(name), logger)
    : () => {}
  if (running.admin !== undefined) {
    await writeRunFile(config.admin.dir, {
      pid: process.pid,
      port: running.admin.port,
      token: running.admin.token,
      name: config.name,
      config: config.file,
      gateway: running.gatewayUrl,
      startedAt: new Date().toISOString(),
    })
  }

  const services = kernel
    .services()
    .map((s) => `${s.name}@${s.version}×${s.instances.length}(${s.instances[0]?.placement ?? '-'})`)
  logger.info(
    {
      services,
      gateway: running.gatewayUrl,
      metrics: running.metricsUrl,
      admin: running.admin === undefined ? undefined : `127.0.0.1:${running.admin.port}`,
      pid: process.pid,
    },
    `${config.name} is running`,
  )
  printHints(config, running, options.colors, options.watch)

  return await new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'Second signal: exiting without waiting for the drain')
        resolve(130)
        return
      }
      stopping = true
      logger.info({ signal }, 'Stopping: draining in-flight work')
      unwatch()
      running
        .stop()
        .then(
          () => logger.info({}, 'Stopped'),
          (error: unknown) => logger.error({ err: error }, 'Stop failed'),
        )
        .finally(() => {
          void removeRunFile(config.admin.dir).finally(() => resolve(0))
        })
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}

function printHints(config: ResolvedConfig, running: Running, c: Colors, dev: boolean): void {
  const lines: string[] = []
  if (running.gatewayUrl !== undefined)
    lines.push(`${c.bold('HTTP')}      ${c.cyan(running.gatewayUrl)}`)
  const dashboard = config.gateway !== false ? config.gateway.dashboard : undefined
  if (running.gatewayUrl !== undefined && dashboard !== undefined && dashboard !== false) {
    const path = typeof dashboard === 'object' ? (dashboard.path ?? '/_plexus') : '/_plexus'
    // Outside dev, with auth, the page needs a token: a browser passes it in the query.
    const guarded = config.auth !== false && !dev
    lines.push(
      `${c.bold('Dashboard')} ${c.cyan(running.gatewayUrl + path)}${guarded ? c.dim('?access_token=<token>') : ''}`,
    )
  }
  if (running.metricsUrl !== undefined)
    lines.push(`${c.bold('Metrics')}   ${c.cyan(running.metricsUrl)}`)
  for (const hint of config.hints)
    lines.push(`  ${hint.replaceAll('{url}', running.gatewayUrl ?? '')}`)
  if (lines.length === 0) return
  // Human hints go to stderr so stdout stays pure log records when piped.
  process.stderr.write(`\n${lines.join('\n')}\n\n`)
}
