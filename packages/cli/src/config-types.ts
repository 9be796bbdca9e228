import type { Policies, Rule, VerifierOptions } from '@plexus/auth'
import type { GatewayOptions } from '@plexus/gateway'
import type { Kernel, LogLevel, Plugin } from '@plexus/kernel'
import type { ClusterConfig } from './config-cluster.js'

/** One service in the config: which module, where it runs and how many copies. */
export interface ServiceConfig {
  /** The service module, relative to the config file; its default export is the definition. */
  module: string
  /** Named export to use instead of `default`. */
  export?: string
  /** Where instances run: `inline` (default), `worker`, `process` (needs the isolation plug-in). */
  placement?: string
  /**
   * Number of instances (default 1), or an autoscaled pool for `worker` and `process`:
   * `{ min, max, target?, rate?, interval?, cooldown?, settle? }` (docs/isolation.md).
   */
  instances?:
    | number
    | {
        min?: number
        max: number
        target?: number
        rate?: number
        interval?: number
        cooldown?: number
        settle?: number
      }
  /** Balancing across instances: `round-robin` (default) or `least-in-flight`. */
  balancer?: 'round-robin' | 'least-in-flight'
  /** Placement-specific settings (memory limits, restart policy), handed to the placement. */
  settings?: Record<string, unknown>
  /** Handed to the module's export when it is a factory `(config) => definition`. */
  config?: Record<string, unknown>
  /** `false` leaves the service out (default true). */
  enabled?: boolean
}

/** A plug-in: a manifest (from a .ts/.js config), or a module to load and call with `options`. */
export type PluginConfig =
  Plugin<Kernel<any>> | string | { module: string; export?: string; options?: unknown }

/** The HTTP/WebSocket gateway section: the gateway's own options. */
export type GatewayConfig = Omit<GatewayOptions, 'name'>

/** Prometheus metrics: `/metrics` on the gateway when one runs, else on a port of their own. */
export interface MetricsConfig {
  /** `false` turns metrics off (default true once the section is given). */
  enabled?: boolean
  /** Path of the exposition (default `/metrics`). */
  path?: string
  /** Serve on this port instead of the gateway's (default 9464 when there is no gateway). */
  port?: number
  /** Interface of that port (default `127.0.0.1`). */
  host?: string
  /** Node's process metrics too (default true). */
  defaultMetrics?: boolean
}

/** OpenTelemetry traces exported over OTLP/HTTP. */
export interface TracingConfig {
  /** `false` turns tracing off (default true once the section is given). */
  enabled?: boolean
  /** The collector's traces URL (default `http://127.0.0.1:4318/v1/traces`). */
  url?: string
  /** `service.name` of the spans (default: the application name). */
  serviceName?: string
}

/** Authentication and authorization (`@plexus/auth`). */
export interface AuthConfig {
  /** Bearer-token verification: `jwksUrl` or `keys`, `algorithms`, `issuer`, `audience`... */
  jwt?: VerifierOptions
  /** Per-action policies (`actions`, `events`, `streams`); once any exists, the default is deny. */
  policies?: Policies
  /** Gateway route keys (`'GET /api/products'`) reachable without a token. */
  public?: string[]
  /** Whether the gateway's WebSocket may be opened without a token (default false). */
  publicWebSocket?: boolean
  /**
   * Development keys instead of `jwt`: an Ed25519 pair made on the first start in `keyFile`
   * (mode 0600; default `.plexus/data/auth-dev-key.json`); `plexus token` prints tokens signed
   * with it. `true` for the defaults; never for production.
   */
  dev?: boolean | { keyFile?: string; issuer?: string; audience?: string }
  /**
   * Who may use the dashboard and the admin endpoint with a token (a policy rule; default any
   * verified token). The admin token of `plexus start` is always accepted too.
   */
  operators?: Rule
}

/** A whole application: what `plexus start` runs. */
export interface PlexusConfig {
  /** Application name, shown in logs and the banner. */
  name?: string
  /** Kernel budgets in ms. */
  kernel?: { deadline?: number; startTimeout?: number; stopTimeout?: number; drainTimeout?: number }
  /** Logging: level and pretty output (`auto`: pretty when stdout is a terminal). */
  log?: { level?: LogLevel; pretty?: boolean | 'auto' }
  /** The loopback admin endpoint the CLI talks to (`plexus call`, `top`...). */
  admin?: { enabled?: boolean; dir?: string; port?: number }
  /** The gateway on `port` (env `PORT`); `false` for none. */
  gateway?: GatewayConfig | false
  /** Prometheus metrics; off unless given (`true` for the defaults). */
  metrics?: MetricsConfig | boolean
  /** Traces over OTLP/HTTP; off unless given (`true` for the defaults). */
  tracing?: TracingConfig | boolean
  /** Tokens and policies; off unless given. With `jwt`, every gateway route needs a token unless public. */
  auth?: AuthConfig
  /** Join a cluster of kernels over NATS (docs/cluster.md); off unless given. */
  cluster?: ClusterConfig
  /** Plug-ins loaded before the services (isolation, auth...). */
  plugins?: PluginConfig[]
  /** Services by name. */
  services: Record<string, ServiceConfig>
  /** Lines printed after start on how to try the application; `{url}` is the gateway's address. */
  hints?: string[]
}

/** Declares a config with its type checked (identity at run time). */
export function defineConfig(config: PlexusConfig): PlexusConfig {
  return config
}
