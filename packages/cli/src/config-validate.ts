import { isAbsolute, resolve } from 'node:path'
import {
  auth as authPlugin,
  devKeys,
  DEV_ISSUER,
  type AuthPlugin,
  type DevKeys,
  type Rule,
} from '@plexus/auth'
import { isPlexusError, type LogLevel } from '@plexus/kernel'
import { validateCluster, type ResolvedCluster } from './config-cluster.js'
import { configError, type Sources } from './config-error.js'
import type { GatewayConfig, PluginConfig } from './config-types.js'

/** A service entry with defaults filled in and its module path made absolute. */
export interface ResolvedService {
  name: string
  module: string
  export: string
  placement: string
  instances: number
  balancer: 'round-robin' | 'least-in-flight' | undefined
  settings: Record<string, unknown>
  config: Record<string, unknown> | undefined
}

/** The metrics section with its defaults filled in. */
export interface ResolvedMetrics {
  path: string
  port: number | undefined
  host: string
  defaultMetrics: boolean
}

/** A validated config: every default filled in, every path absolute. */
export interface ResolvedConfig {
  name: string
  /** The config file, when there is one. */
  file: string | undefined
  kernel: { deadline?: number; startTimeout?: number; stopTimeout?: number; drainTimeout?: number }
  log: { level: LogLevel; pretty: boolean | 'auto' }
  admin: { enabled: boolean; dir: string; port: number }
  gateway: (GatewayConfig & { port: number }) | false
  /** Metrics, when on: `port` is set only when they get a port of their own. */
  metrics: ResolvedMetrics | false
  /** Tracing, when on. */
  tracing: { url: string; serviceName: string } | false
  /**
   * The auth plug-in, the gateway's public routes, who may operate (dashboard, admin endpoint)
   * and the dev keys (`auth.dev`), when the section is given.
   */
  auth:
    | {
        plugin: AuthPlugin
        public: string[]
        publicWebSocket: boolean
        operators: Rule | undefined
        dev: DevKeys | undefined
      }
    | false
  /** The nats plug-in's options, when the `cluster` section is given. */
  cluster: ResolvedCluster | false
  plugins: PluginConfig[]
  services: ResolvedService[]
  hints: string[]
  /** Key path -> the environment variable that set it (for error messages). */
  sources: ReadonlyMap<string, string>
}

const TOP = [
  'name',
  'kernel',
  'log',
  'admin',
  'gateway',
  'metrics',
  'tracing',
  'auth',
  'cluster',
  'plugins',
  'services',
  'hints',
]
const METRICS = ['enabled', 'path', 'port', 'host', 'defaultMetrics']
const TRACING = ['enabled', 'url', 'serviceName']
const AUTH = ['jwt', 'policies', 'public', 'publicWebSocket', 'dev', 'operators']
const DEV = ['keyFile', 'issuer', 'audience']
const RULE_LISTS = ['roles', 'scopes', 'callers']
const KERNEL = ['deadline', 'startTimeout', 'stopTimeout', 'drainTimeout']
const SERVICE = [
  'module',
  'export',
  'placement',
  'instances',
  'balancer',
  'settings',
  'config',
  'enabled',
]
const LEVELS = ['debug', 'info', 'warn', 'error', 'silent']
/** Where `auth.dev` keeps its key pair unless told (relative to the working directory). */
const DEV_KEY_FILE = '.plexus/data/auth-dev-key.json'
const NAME = /^[A-Za-z][\w-]*$/

type Obj = Record<string, unknown>
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Checks a whole config up front. The first problem found is thrown as `INVALID_CONFIG`
 * naming the key path, the value seen and what was expected; nothing starts half-configured.
 */
export function validateConfig(
  raw: unknown,
  options: { file?: string; dir: string; cwd: string; sources?: Sources },
): ResolvedConfig {
  const sources = options.sources ?? new Map<string, string>()
  const fail = (key: string, value: unknown, expected: string): never => {
    throw configError(key, value, expected, sources)
  }
  const object = (key: string, value: unknown): Obj =>
    isObject(value) ? value : fail(key, value, 'an object')
  const known = (key: string, value: Obj, keys: readonly string[]): void => {
    for (const k of Object.keys(value)) {
      if (!keys.includes(k)) {
        const path = key === '' ? k : `${key}.${k}`
        fail(path, value[k], `no such key (known: ${keys.join(', ')})`)
      }
    }
  }
  const ms = (key: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined
    return typeof value === 'number' && Number.isFinite(value) && value > 0
      ? value
      : fail(key, value, 'a number of milliseconds > 0')
  }
  const port = (key: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback
    return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535
      ? (value as number)
      : fail(key, value, 'a port number from 0 to 65535 (0 picks a free one)')
  }
  const bool = (key: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback
    return typeof value === 'boolean' ? value : fail(key, value, 'true or false')
  }
  const string = (key: string, value: unknown, fallback?: string): string => {
    if (value === undefined && fallback !== undefined) return fallback
    return typeof value === 'string' && value !== ''
      ? value
      : fail(key, value, 'a non-empty string')
  }

  const root = object('config', raw)
  known('', root, TOP)
  const appName = string('name', root.name, 'plexus')

  const kernelIn = root.kernel === undefined ? {} : object('kernel', root.kernel)
  known('kernel', kernelIn, KERNEL)
  const kernel: ResolvedConfig['kernel'] = {}
  for (const key of KERNEL) {
    const value = ms(`kernel.${key}`, kernelIn[key])
    if (value !== undefined) kernel[key as keyof typeof kernel] = value
  }

  const logIn = root.log === undefined ? {} : object('log', root.log)
  known('log', logIn, ['level', 'pretty'])
  const level = logIn.level ?? 'info'
  if (typeof level !== 'string' || !LEVELS.includes(level)) {
    fail('log.level', level, `one of ${LEVELS.join(', ')}`)
  }
  const pretty = logIn.pretty ?? 'auto'
  if (pretty !== 'auto' && typeof pretty !== 'boolean')
    fail('log.pretty', pretty, "true, false or 'auto'")

  const adminIn = root.admin === undefined ? {} : object('admin', root.admin)
  known('admin', adminIn, ['enabled', 'dir', 'port'])
  const admin = {
    enabled: bool('admin.enabled', adminIn.enabled, true),
    dir: resolve(options.cwd, string('admin.dir', adminIn.dir, '.plexus')),
    port: port('admin.port', adminIn.port, 0),
  }

  let gateway: ResolvedConfig['gateway'] = false
  if (root.gateway !== undefined && root.gateway !== false) {
    const g = object('gateway', root.gateway)
    if (g.name !== undefined)
      fail('gateway.name', g.name, 'no such key (the gateway is named by the CLI)')
    if (g.host !== undefined) string('gateway.host', g.host)
    if (g.routes !== undefined) object('gateway.routes', g.routes)
    if (g.dashboard !== undefined && typeof g.dashboard !== 'boolean') {
      object('gateway.dashboard', g.dashboard)
    }
    if (g.drainDelay !== undefined && !(typeof g.drainDelay === 'number' && g.drainDelay >= 0)) {
      fail('gateway.drainDelay', g.drainDelay, 'a number of milliseconds >= 0')
    }
    for (const key of ['health', 'openapi'] as const) {
      const value = g[key]
      if (value !== undefined && typeof value !== 'boolean') object(`gateway.${key}`, value)
    }
    gateway = { ...(g as GatewayConfig), port: port('gateway.port', g.port, 8080) }
  }

  let metrics: ResolvedConfig['metrics'] = false
  if (root.metrics !== undefined && root.metrics !== false) {
    const m = root.metrics === true ? {} : object('metrics', root.metrics)
    known('metrics', m, METRICS)
    if (bool('metrics.enabled', m.enabled, true)) {
      const path = string('metrics.path', m.path, '/metrics')
      if (!path.startsWith('/')) fail('metrics.path', path, "a path starting with '/'")
      metrics = {
        path,
        // Without a gateway there is nowhere else to serve them.
        port:
          m.port === undefined && gateway === false
            ? 9464
            : m.port === undefined
              ? undefined
              : port('metrics.port', m.port, 0),
        host: string('metrics.host', m.host, '127.0.0.1'),
        defaultMetrics: bool('metrics.defaultMetrics', m.defaultMetrics, true),
      }
    }
  }

  let tracing: ResolvedConfig['tracing'] = false
  if (root.tracing !== undefined && root.tracing !== false) {
    const tr = root.tracing === true ? {} : object('tracing', root.tracing)
    known('tracing', tr, TRACING)
    if (bool('tracing.enabled', tr.enabled, true)) {
      const url = string('tracing.url', tr.url, 'http://127.0.0.1:4318/v1/traces')
      if (!/^https?:\/\/[^/\s]+/.test(url)) fail('tracing.url', url, 'an http:// or https:// URL')
      tracing = { url, serviceName: string('tracing.serviceName', tr.serviceName, appName) }
    }
  }

  let auth: ResolvedConfig['auth'] = false
  if (root.auth !== undefined) {
    const a = object('auth', root.auth)
    known('auth', a, AUTH)
    const open = a.public ?? []
    if (!Array.isArray(open) || !open.every((r) => typeof r === 'string' && /^[A-Z]+ \//.test(r))) {
      fail('auth.public', open, "a list of route keys like 'GET /api/products'")
    }
    if (a.jwt !== undefined) object('auth.jwt', a.jwt)
    if (a.policies !== undefined) object('auth.policies', a.policies)
    let operators: Rule | undefined
    if (a.operators !== undefined) {
      const rule = object('auth.operators', a.operators)
      for (const list of RULE_LISTS) {
        const v = rule[list]
        if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) {
          fail(`auth.operators.${list}`, v, 'a list of names')
        }
      }
      operators = rule
    }
    const devIn = a.dev === undefined || a.dev === false ? undefined : a.dev
    const dev: Obj | undefined =
      devIn === true ? {} : devIn === undefined ? undefined : object('auth.dev', devIn)
    if (dev !== undefined) {
      known('auth.dev', dev, DEV)
      if (a.jwt !== undefined) {
        fail(
          'auth.dev',
          devIn,
          'false or absent beside auth.jwt (one source of keys; PLEXUS_AUTH__DEV=false turns the dev keys off)',
        )
      }
    }
    try {
      // Made on the first start, read on every later one: tokens printed once stay valid.
      const keys =
        dev === undefined
          ? undefined
          : devKeys(resolve(options.cwd, string('auth.dev.keyFile', dev.keyFile, DEV_KEY_FILE)), {
              issuer: string('auth.dev.issuer', dev.issuer, DEV_ISSUER),
              audience: string('auth.dev.audience', dev.audience, appName),
            })
      const verifier = keys === undefined ? a.jwt : keys.verifierOptions()
      // The plug-in checks algorithms, keys and policies itself; its INVALID_CONFIG names the key.
      const plugin = authPlugin({
        ...(verifier === undefined ? {} : { verifier: verifier as never }),
        ...(a.policies === undefined ? {} : { policies: a.policies as never }),
      })
      auth = {
        plugin,
        public: open as string[],
        publicWebSocket: bool('auth.publicWebSocket', a.publicWebSocket, false),
        operators,
        dev: keys,
      }
    } catch (error) {
      if (isPlexusError(error) && error.code === 'INVALID_CONFIG') throw error
      fail('auth', a, `a valid auth section (${String(error)})`)
    }
  }

  const cluster = validateCluster(root.cluster, fail)

  const pluginsIn = root.plugins ?? []
  if (!Array.isArray(pluginsIn)) fail('plugins', pluginsIn, 'a list of plug-ins')
  const plugins = (pluginsIn as unknown[]).map((p, i): PluginConfig => {
    const key = `plugins[${i}]`
    if (typeof p === 'string' && p !== '') return p
    if (isObject(p) && typeof p.setup === 'function') return p as unknown as PluginConfig
    if (isObject(p) && typeof p.module === 'string') {
      known(key, p, ['module', 'export', 'options'])
      if (p.export !== undefined) string(`${key}.export`, p.export)
      return p as PluginConfig
    }
    return fail(key, p, 'a plug-in, a module name, or { module, export?, options? }')
  })

  const servicesIn = object('services', root.services)
  const services: ResolvedService[] = []
  for (const [name, entry] of Object.entries(servicesIn)) {
    const key = `services.${name}`
    if (!NAME.test(name)) fail(key, name, 'a service name: a letter, then letters, digits, _ or -')
    const s = object(key, entry)
    known(key, s, SERVICE)
    if (!bool(`${key}.enabled`, s.enabled, true)) continue
    const module = string(`${key}.module`, s.module)
    const placement = string(`${key}.placement`, s.placement, 'inline')
    const pool = isObject(s.instances) ? s.instances : undefined
    // `{ min, max }`: max instance slots, and the pool (worker and process) scales within them.
    const instances = pool !== undefined ? pool.max : (s.instances ?? 1)
    if (pool !== undefined && placement === 'inline') {
      fail(
        `${key}.instances`,
        pool,
        "a number (autoscaled pools need placement 'worker' or 'process')",
      )
    }
    if (!Number.isInteger(instances) || (instances as number) < 1) {
      fail(
        pool !== undefined ? `${key}.instances.max` : `${key}.instances`,
        instances,
        'a positive integer',
      )
    }
    if (s.settings !== undefined) object(`${key}.settings`, s.settings)
    const settings = (s.settings as Obj | undefined) ?? {}
    const balancer = s.balancer
    if (balancer !== undefined && balancer !== 'round-robin' && balancer !== 'least-in-flight') {
      fail(`${key}.balancer`, balancer, "'round-robin' or 'least-in-flight'")
    }
    if (s.config !== undefined) object(`${key}.config`, s.config)
    services.push({
      name,
      module: isAbsolute(module) ? module : resolve(options.dir, module),
      export: string(`${key}.export`, s.export, 'default'),
      placement,
      instances: instances as number,
      balancer: balancer as ResolvedService['balancer'],
      settings: pool === undefined ? settings : { ...settings, instances: pool },
      config: s.config as Obj | undefined,
    })
  }
  if (services.length === 0) fail('services', root.services, 'at least one enabled service')

  const hints = root.hints ?? []
  if (!Array.isArray(hints) || !hints.every((h) => typeof h === 'string')) {
    fail('hints', hints, 'a list of strings')
  }

  return {
    name: appName,
    file: options.file,
    kernel,
    log: { level: level as LogLevel, pretty: pretty as boolean | 'auto' },
    admin,
    gateway,
    metrics,
    tracing,
    auth,
    cluster,
    plugins,
    services,
    hints: hints as string[],
    sources,
  }
}
