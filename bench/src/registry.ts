/** Finds the scenario files: every `.ts` file in `scenarios/` exporting a scenario as default. */
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Scenario } from './scenario.js'

/** A scenario and the file a measurement process loads it from. */
export interface ScenarioEntry {
  readonly file: string
  readonly scenario: Scenario
}

/** The order of the tables; scenarios not listed here follow alphabetically. */
const ORDER = [
  'call',
  'call-crowded',
  'call-deadline',
  'call-validation',
  'call-full',
  'call-observe',
  'call-trust',
  'call-acl',
  'actor-call',
  'emit',
  'emit-crowded',
  'stream',
  'worker',
  'child-process',
  'remote-tcp',
  'remote-ws',
  'nats',
  'durable',
  'nats-emit',
  'kv-redis',
  'kv-nats',
  'http-get',
  'http-ws',
  'memory',
  'memory-crowded',
  'startup',
  'startup-crowded',
  'startup-worker',
  'startup-process',
  'hot-replace',
  'gateway-auth',
]

/** Loads every scenario (their heavy modules load lazily, inside measurement processes only). */
export async function loadScenarios(): Promise<ScenarioEntry[]> {
  const dir = new URL('./scenarios/', import.meta.url)
  const entries: ScenarioEntry[] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const url = new URL(name, dir)
    const scenario = ((await import(url.href)) as { default: Scenario }).default
    entries.push({ file: fileURLToPath(url), scenario })
  }
  const rank = (s: ScenarioEntry) => {
    const i = ORDER.indexOf(s.scenario.name)
    return i === -1 ? ORDER.length : i
  }
  return entries.sort((x, y) => rank(x) - rank(y) || x.scenario.name.localeCompare(y.scenario.name))
}
