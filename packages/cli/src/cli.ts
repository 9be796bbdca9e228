import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { isPlexusError, logLevelOf, toPlexusError, type PlexusError } from '@plexus/kernel'
import { adminRequest } from './admin-client.js'
import { colorsFor, type Colors } from './color.js'
import { loadConfig } from './config-load.js'
import { HELP } from './help.js'
import { parseJson } from './json-body.js'
import { createLogger } from './logger.js'
import { runHostCommand } from './run-host.js'
import { runKernel } from './run-kernel.js'
import { devToken } from './token-command.js'
import { renderServices, renderTop, type ServicesAnswer } from './status-views.js'

const ALIASES: Record<string, string> = { ls: 'services' }
const USAGE = 2

interface Flags {
  json: boolean
  help: boolean
  version: boolean
  color: boolean
  once: boolean
  adminDir: string | undefined
  deadline: string | undefined
  interval: string | undefined
  connect: string | undefined
  token: string | undefined
  name: string | undefined
  sub: string | undefined
  roles: string | undefined
  scopes: string | undefined
  tenant: string | undefined
  ttl: string | undefined
}

/** Runs the `plexus` command line; resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    process.stderr.write(`plexus: ${(error as Error).message}\nRun 'plexus --help' for usage.\n`)
    return USAGE
  }
  const { flags, positionals } = parsed
  const out = flags.color ? colorsFor(process.stdout) : colorsFor({ isTTY: false }, {})
  const err = flags.color ? colorsFor(process.stderr) : colorsFor({ isTTY: false }, {})
  const [first, ...rest] = positionals
  const command = first === undefined ? undefined : (ALIASES[first] ?? first)

  if (flags.version) {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  if (command === undefined || command === 'help') {
    const topic = command === 'help' ? (ALIASES[rest[0] ?? ''] ?? rest[0]) : undefined
    process.stdout.write(`${HELP[topic ?? 'plexus'] ?? HELP.plexus}\n`)
    return command === undefined && !flags.help ? USAGE : 0
  }
  const help = HELP[command]
  if (help === undefined) {
    process.stderr.write(`plexus: unknown command '${command}'\n\n${HELP.plexus}\n`)
    return USAGE
  }
  if (flags.help) {
    process.stdout.write(`${help}\n`)
    return 0
  }
  const adminDir = resolve(flags.adminDir ?? process.env.PLEXUS_ADMIN__DIR ?? '.plexus')
  // An operator's JWT instead of the run file's admin token (the kernel's verifier checks it).
  const operator = nonEmpty(flags.token) ?? nonEmpty(process.env.PLEXUS_TOKEN)

  try {
    switch (command) {
      case 'start':
      case 'dev': {
        const config = await loadConfig(rest[0])
        if (flags.json) config.log.pretty = false
        return await runKernel(config, { watch: command === 'dev', colors: err })
      }
      case 'call': {
        const address = need(rest[0], 'call', '<service.action>')
        const deadline = flags.deadline === undefined ? undefined : Number(flags.deadline)
        const answer = (await adminRequest(
          adminDir,
          'POST',
          '/call',
          {
            address,
            input: input(rest[1]),
            ...(deadline === undefined ? {} : { deadline }),
          },
          (deadline ?? 60_000) + 5_000,
          operator,
        )) as { data: unknown }
        process.stdout.write(
          flags.json ? `${JSON.stringify(answer)}\n` : `${pretty(answer.data, out)}\n`,
        )
        return 0
      }
      case 'emit': {
        const topic = need(rest[0], 'emit', '<topic>')
        await adminRequest(
          adminDir,
          'POST',
          '/emit',
          { topic, payload: input(rest[1]) },
          undefined,
          operator,
        )
        process.stdout.write(flags.json ? `{"ok":true}\n` : `${out.green('emitted')} ${topic}\n`)
        return 0
      }
      case 'services': {
        const answer = (await adminRequest(
          adminDir,
          'GET',
          '/services',
          undefined,
          undefined,
          operator,
        )) as ServicesAnswer
        process.stdout.write(
          flags.json ? `${JSON.stringify(answer)}\n` : `${renderServices(answer, out)}\n`,
        )
        return 0
      }
      case 'top':
        return await top(adminDir, flags, out, operator)
      case 'token': {
        const token = await devToken({
          config: rest[0],
          sub: flags.sub,
          roles: flags.roles,
          scopes: flags.scopes,
          tenant: flags.tenant,
          ttl: flags.ttl,
        })
        process.stdout.write(flags.json ? `${JSON.stringify({ token })}\n` : `${token}\n`)
        return 0
      }
      case 'host': {
        const module = need(rest[0], 'host', '<service module>')
        const connect = need(
          flags.connect,
          'host',
          '--connect <tcp://host:port | ws://host:port/path>',
        )
        return await runHostCommand(
          { module, connect, token: flags.token, name: flags.name },
          createLogger({
            level: logLevelOf(process.env.PLEXUS_LOG_LEVEL),
            pretty: flags.json ? false : 'auto',
          }),
        )
      }
      case 'replace': {
        const service = need(rest[0], 'replace', '<service>')
        const file = rest[1] === undefined ? undefined : resolve(rest[1])
        const answer = (await adminRequest(
          adminDir,
          'POST',
          '/replace',
          { service, ...(file ? { file } : {}) },
          undefined,
          operator,
        )) as { version: number }
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(answer)}\n`
            : `${out.green('replaced')} ${service} (now version ${answer.version})\n`,
        )
        return 0
      }
    }
  } catch (caught) {
    const error = toPlexusError(caught)
    if ((caught as { usage?: boolean }).usage === true) {
      process.stderr.write(`plexus: ${error.message}\n`)
      return USAGE
    }
    report(error, flags.json, err)
    return command === 'start' || command === 'dev' ? configExit(error) : 1
  }
  return 0
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
      color: { type: 'boolean', default: true },
      'no-color': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      'admin-dir': { type: 'string' },
      deadline: { type: 'string' },
      interval: { type: 'string' },
      connect: { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      sub: { type: 'string' },
      roles: { type: 'string' },
      scopes: { type: 'string' },
      tenant: { type: 'string' },
      ttl: { type: 'string' },
    },
  })
  const flags: Flags = {
    json: values.json ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
    color: (values.color ?? true) && !(values['no-color'] ?? false),
    once: values.once ?? false,
    adminDir: values['admin-dir'],
    deadline: values.deadline,
    interval: values.interval,
    connect: values.connect,
    token: values.token,
    name: values.name,
    sub: values.sub,
    roles: values.roles,
    scopes: values.scopes,
    tenant: values.tenant,
    ttl: values.ttl,
  }
  return { flags, positionals }
}

async function top(
  adminDir: string,
  flags: Flags,
  c: Colors,
  operator: string | undefined,
): Promise<number> {
  const interval =
    flags.interval === undefined ? 1000 : Math.max(100, Number(flags.interval) || 1000)
  const live = !flags.once && process.stdout.isTTY === true && !flags.json
  let stop = false
  process.once('SIGINT', () => {
    stop = true
  })
  for (;;) {
    const answer = (await adminRequest(
      adminDir,
      'GET',
      '/services',
      undefined,
      undefined,
      operator,
    )) as ServicesAnswer
    if (flags.json) process.stdout.write(`${JSON.stringify(answer)}\n`)
    else process.stdout.write(`${live ? '\u001b[H\u001b[2J' : ''}${renderTop(answer, c)}`)
    if (flags.once || stop) return 0
    await new Promise((r) => setTimeout(r, interval))
    if (stop) return 0
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function need(value: string | undefined, command: string, what: string): string {
  if (value !== undefined && value !== '') return value
  throw Object.assign(new Error(`'plexus ${command}' needs ${what}\n\n${HELP[command]}`), {
    usage: true,
  })
}

// JSON when it looks like JSON (so a typo is reported, not sent as text), else a plain string.
function input(text: string | undefined): unknown {
  if (text === undefined) return undefined
  const t = text.trim()
  if (/^[{["\-\d]/.test(t) || t === 'true' || t === 'false' || t === 'null') return parseJson(t)
  return text
}

function pretty(value: unknown, c: Colors): string {
  const json = JSON.stringify(value, null, 2) ?? 'null'
  if (!c.enabled) return json
  return json.replace(
    /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/gi,
    (m, str: string | undefined, colon: string | undefined) =>
      str !== undefined ? (colon ? c.cyan(str) + colon : c.green(str)) : c.yellow(m),
  )
}

function report(error: PlexusError, json: boolean, c: Colors): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`)
    return
  }
  process.stderr.write(`${c.red(c.bold(error.code))}: ${error.message}\n`)
  if (
    error.data !== undefined &&
    error.code !== 'INVALID_ARGUMENT' &&
    error.code !== 'INVALID_CONFIG'
  ) {
    process.stderr.write(`${c.dim(JSON.stringify(error.data))}\n`)
  }
}

function configExit(error: PlexusError): number {
  return isPlexusError(error) &&
    (error.code === 'INVALID_ARGUMENT' ||
      error.code === 'INVALID_CONFIG' ||
      error.code === 'INVALID_DEFINITION')
    ? USAGE
    : 1
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}
