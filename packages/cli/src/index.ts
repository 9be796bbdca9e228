/**
 * @plexus/cli — the `plexus` command and the pieces it is built from: loading and validating a
 * config (file plus PLEXUS_* environment variables), booting a kernel from it, and the loopback
 * admin endpoint the other commands talk to.
 *
 * @example
 * // plexus.config.ts
 * import { defineConfig } from '@plexus/cli'
 * export default defineConfig({
 *   gateway: { port: 8080, routes: { 'POST /api/orders': 'orders.place' } },
 *   services: { orders: { module: './services/orders.ts', placement: 'worker', instances: 2 } },
 * })
 */

/** Config shapes and the typed identity helper for config files. */
export {
  defineConfig,
  type PlexusConfig,
  type ServiceConfig,
  type PluginConfig,
  type GatewayConfig,
  type MetricsConfig,
  type TracingConfig,
} from './config-types.js'
/** Finds, reads, layers environment variables over and validates a config. */
export { loadConfig, findConfig, CONFIG_NAMES, type LoadOptions } from './config-load.js'
/** Validation of a raw config object. */
export {
  validateConfig,
  type ResolvedConfig,
  type ResolvedMetrics,
  type ResolvedService,
} from './config-validate.js'
/** The `cluster:` section (a kernel joined to others over NATS). */
export { type ClusterConfig, type ResolvedCluster } from './config-cluster.js'
/** The PLEXUS_* / PORT environment layer. */
export { applyEnv, type Layered } from './config-env.js'
/** Starts a kernel from a validated config. */
export { boot, type Running } from './boot.js'
/** The CLI's pino logger (pretty on a terminal). */
export { createLogger, type LoggerOptions } from './logger.js'
/** The loopback admin endpoint. */
export { createAdminServer, type AdminOptions, type AdminServer } from './admin-server.js'
/** Requests to a running kernel's admin endpoint. */
export { adminRequest } from './admin-client.js'
/** The run file a running kernel writes for the CLI. */
export { readRunFile, RUN_FILE, type RunInfo } from './run-file.js'
/** Runs the command line (what bin/plexus.js calls). */
export { runCli } from './cli.js'
