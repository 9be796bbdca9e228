import type { AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import {
  gateway as gatewayPlugin,
  type DashboardOptions,
  type GatewayPlugin,
} from '@plexus/gateway'
import {
  createKernel,
  definePlugin,
  isPlexusError,
  PlexusError,
  type AddOptions,
  type Kernel,
  type Logger,
  type Plugin,
  type ServiceDefinition,
} from '@plexus/kernel'
import { nats } from '@plexus/nats'
import {
  legacyTracing,
  metrics as metricsPlugin,
  metricsEndpoint,
  tracedLogger,
} from '@plexus/observe'
import { otlpTracing } from '@plexus/observe/otlp'
import { createAdminServer } from './admin-server.js'
import { configError } from './config-error.js'
import type { ResolvedConfig, ResolvedService } from './config-validate.js'
import { loadDefinition } from './module-loader.js'
import { loadPlugin } from './plugin-loader.js'
import { newToken } from './run-file.js'

/** A kernel started from a config, with its edges. */
export interface Running {
  readonly kernel: Kernel
  /** The gateway's base URL, when there is a gateway. */
  readonly gatewayUrl: string | undefined
  /** Where the Prometheus metrics are served, when they are on. */
  readonly metricsUrl: string | undefined
  /** The admin endpoint's port and token, when it is on. */
  readonly admin: { port: number; token: string } | undefined
  /** Hot replaces a service from its module (or another file); the old version keeps running on failure. */
  replace(service: string, file?: string): Promise<{ service: string; version: number }>
  /**
   * The graceful stop: the gateway turns readiness false and refuses new requests while the
   * requests it already accepted complete, then the kernel drains the rest and stops.
   */
  stop(): Promise<void>
}

/** How `boot` runs a config. */
export interface BootOptions {
  /**
   * `plexus dev`: the dashboard stays open to anyone on the machine. Otherwise, with an `auth`
   * section, the dashboard needs a verified token (or the admin token).
   */
  readonly dev?: boolean
}

/**
 * Builds and starts a kernel from a validated config: plug-ins first (so placements such as
 * `worker` and `process` are registered), then the services with their placement and instance
 * count, then the gateway. The admin endpoint loads first so it stops last.
 */
export async function boot(
  config: ResolvedConfig,
  logger: Logger,
  options: BootOptions = {},
): Promise<Running> {
  const dir = config.file === undefined ? process.cwd() : dirname(config.file)
  const plugins: Plugin<Kernel<any>>[] = []
  for (const [i, entry] of config.plugins.entries()) plugins.push(await loadPlugin(entry, i, dir))
  // Load every module up front: a broken service fails the start before anything listens.
  const definitions = new Map<string, ServiceDefinition>()
  for (const service of config.services)
    definitions.set(service.name, await loadDefinition(service))

  const byName = new Map(config.services.map((s) => [s.name, s]))
  const token = newToken()
  let adminPort: number | undefined
  let gateway: GatewayPlugin | undefined

  const replace = async (name: string, file?: string) => {
    const service = byName.get(name)
    if (service === undefined) {
      throw new PlexusError(
        'NOT_FOUND',
        `No service '${name}' in the config (known: ${[...byName.keys()].join(', ')})`,
      )
    }
    const definition = await loadDefinition(
      service,
      file === undefined ? { fresh: true } : { file, fresh: true },
    )
    await kernel.replace(name, definition, file === undefined ? undefined : { module: file })
    const version = definition.version ?? 1
    logger.info({ service: name, version, file: file ?? service.module }, `Replaced '${name}'`)
    return { service: name, version }
  }

  const verifier = config.auth === false ? undefined : config.auth.plugin.verifier
  // Tokens the verifier accepts may operate too, when the `operators` rule allows them.
  const operatorAuth =
    verifier === undefined || config.auth === false
      ? undefined
      : { verifier, operators: config.auth.operators }
  const admin = config.admin.enabled
    ? definePlugin<Kernel<any>>({
        name: 'plexus-admin',
        async setup(k) {
          const server = createAdminServer(k, {
            token,
            ...(operatorAuth === undefined ? {} : { auth: operatorAuth }),
            port: config.admin.port,
            logger: logger.child({ component: 'admin' }),
            replace,
            status: () => ({ name: config.name, gateway: gatewayUrl(gateway) }),
          })
          adminPort = await server.listen()
          return () => server.close()
        },
      })
    : undefined
  const metrics = config.metrics
  const ownPort =
    metrics !== false && metrics.port !== undefined
      ? metricsPlugin({
          port: metrics.port,
          host: metrics.host,
          path: metrics.path,
          defaultMetrics: metrics.defaultMetrics,
        })
      : undefined
  const tracing = config.tracing === false ? undefined : otlpTracing(config.tracing)
  if (config.gateway !== false) {
    const endpoints = { ...config.gateway.endpoints }
    if (metrics !== false && ownPort === undefined) {
      endpoints[metrics.path] = metricsEndpoint({ defaultMetrics: metrics.defaultMetrics })
    }
    const auth =
      verifier === undefined || config.auth === false
        ? {}
        : {
            auth: {
              verifier,
              public: config.auth.public,
              publicWebSocket: config.auth.publicWebSocket,
            },
          }
    // With tracing, the legacy façade's upstream requests are spans too (traceparent sent on).
    const legacy =
      config.gateway.legacy === undefined || tracing === undefined
        ? {}
        : { legacy: { ...config.gateway.legacy, trace: legacyTracing(tracing.tracerProvider) } }
    const dashboard = dashboardAccess(config, token, options.dev === true)
    gateway = gatewayPlugin({
      ...auth,
      ...config.gateway,
      endpoints,
      ...legacy,
      ...(dashboard === undefined ? {} : { dashboard }),
    })
  }
  // The cluster joins before the services start, so they are announced as soon as they run.
  const cluster = config.cluster === false ? undefined : nats(config.cluster)
  const services = definePlugin<Kernel<any>>({
    name: 'plexus-services',
    dependsOn: [...plugins, ...(cluster ? [cluster] : [])].map((p) => p.name),
    setup(k) {
      for (const service of config.services)
        add(k, service, definitions.get(service.name)!, config.sources)
    },
  })

  const kernel = createKernel({
    ...config.kernel,
    ...(config.cluster === false ? {} : { node: config.cluster.node }),
    // With tracing, log lines written through ctx.logger carry trace_id and span_id.
    logger: tracing === undefined ? logger : tracedLogger(logger),
    plugins: [
      ...(admin ? [admin] : []),
      ...(ownPort ? [ownPort] : []),
      ...(tracing ? [tracing] : []),
      // Before other plug-ins, so forged principals are stripped outermost.
      ...(config.auth === false ? [] : [config.auth.plugin]),
      ...plugins,
      ...(cluster ? [cluster] : []),
      services,
      ...(gateway ? [gateway] : []),
    ],
  })
  await kernel.start()
  return {
    kernel,
    gatewayUrl: gatewayUrl(gateway),
    metricsUrl:
      metrics === false
        ? undefined
        : ownPort?.address !== undefined
          ? `http://${ownPort.address.host}:${ownPort.address.port}${metrics.path}`
          : gatewayUrl(gateway) === undefined
            ? undefined
            : `${gatewayUrl(gateway)}${metrics.path}`,
    admin: adminPort === undefined ? undefined : { port: adminPort, token },
    replace,
    async stop() {
      const edge = gateway?.instance
      if (edge !== undefined) {
        logger.info({}, 'Draining the gateway: not ready, refusing new requests')
        await edge.drain()
      }
      await kernel.stop()
    },
  }
}

function add(
  kernel: Kernel<any>,
  service: ResolvedService,
  definition: ServiceDefinition,
  sources: ReadonlyMap<string, string>,
): void {
  // A worker or child process imports the module's default export itself: a named export or a
  // factory config would give the guest another definition than the kernel's. Refuse, don't drift.
  if (service.placement !== 'inline') {
    if (service.export !== 'default') {
      throw configError(
        `services.${service.name}.export`,
        service.export,
        `'default' for placement '${service.placement}' (the guest loads the module's default export)`,
        sources,
      )
    }
    if (service.config !== undefined) {
      throw configError(
        `services.${service.name}.config`,
        service.config,
        `no factory config for placement '${service.placement}' (the guest cannot call the factory the same way; export the built definition)`,
        sources,
      )
    }
  }
  const options: AddOptions = {
    instances: service.instances,
    placement: service.placement,
    module: service.module,
    settings: service.settings,
    ...(service.balancer === undefined ? {} : { balancer: service.balancer }),
  }
  try {
    kernel.add(definition, options)
  } catch (error) {
    // Placements exist only once their plug-in has loaded, so this is the first point to check.
    const data = isPlexusError(error, 'INVALID_ARGUMENT')
      ? (error.data as { placement?: string; known?: string[] } | undefined)
      : undefined
    if (data?.placement === undefined) throw error
    const known = (data.known ?? ['inline']).join(', ')
    throw configError(
      `services.${service.name}.placement`,
      service.placement,
      `a registered placement (${known}; 'worker' and 'process' need the '@plexus/isolate#isolation' plug-in in 'plugins')`,
      sources,
    )
  }
}

// With auth, outside dev: the dashboard takes the admin token or a verified operator's token.
function dashboardAccess(
  config: ResolvedConfig,
  adminToken: string,
  dev: boolean,
): DashboardOptions | undefined {
  if (config.gateway === false || config.auth === false) return undefined
  const given = config.gateway.dashboard
  // The gateway's own default (on only when NODE_ENV is development) decides when unset.
  const on = given === undefined ? process.env.NODE_ENV === 'development' : given !== false
  if (!on) return undefined
  const base = typeof given === 'object' ? given : {}
  if (dev) return { ...base, public: true }
  return {
    ...base,
    ...(config.admin.enabled ? { token: base.token ?? adminToken } : {}),
    ...(config.auth.operators === undefined || base.viewers !== undefined
      ? {}
      : { viewers: config.auth.operators }),
  }
}

function gatewayUrl(plugin: GatewayPlugin | undefined): string | undefined {
  const address = plugin?.instance?.server.address() as AddressInfo | null | undefined
  if (address === null || address === undefined) return undefined
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
