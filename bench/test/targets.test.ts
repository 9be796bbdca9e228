import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Ratio } from '../src/aggregate.js'
import { loadScenarios } from '../src/registry.js'
import { evaluateTargets } from '../src/targets.js'

const ratio = (scenario: string, concurrency: number, median: number): Ratio => ({
  scenario,
  concurrency,
  a: 'plexus',
  b: 'floor',
  metric: 'rps',
  ratio: { median, min: median, max: median },
})

const line = (lines: string[], start: string) => lines.find((l) => l.startsWith(`| ${start}`))

void describe('the issue 15 scenarios and targets', () => {
  void it('registers actor-call and kv-redis, each with a Plexus side and a floor (kv-redis also the untimed client)', async () => {
    const scenarios = (await loadScenarios()).map((e) => e.scenario)
    const impls: Record<string, string[]> = {
      'actor-call': ['floor', 'plexus'],
      'kv-redis': ['floor', 'floor-untimed', 'plexus'],
    }
    for (const [name, want] of Object.entries(impls)) {
      const found = scenarios.find((s) => s.name === name)
      assert.ok(found, `${name} is registered`)
      assert.deepEqual(Object.keys(found.impls).sort(), want)
    }
  })

  void it('judges an actor call against 2× a plain call and a Redis get against 0.8× a bare GET', () => {
    const met = evaluateTargets({
      rows: [],
      ratios: [
        ratio('actor-call', 1, 0.6),
        ratio('actor-call', 100, 0.5),
        ratio('kv-redis', 100, 0.85),
      ],
    })
    assert.match(
      line(met, 'call to an active actor') ?? '',
      /c1: 0\.60× floor; c100: 0\.50× floor \| met \|$/,
    )
    assert.match(line(met, 'kv get through the kv service') ?? '', /c100: 0\.85× floor \| met \|$/)

    const missed = evaluateTargets({
      rows: [],
      ratios: [
        ratio('actor-call', 1, 0.25),
        ratio('actor-call', 100, 0.5),
        ratio('kv-redis', 100, 0.4),
      ],
    })
    assert.match(
      line(missed, 'call to an active actor') ?? '',
      /\*\*missed\*\*: c1: 2\.00× short of 0\.5×/,
    )
    assert.match(
      line(missed, 'kv get through the kv service') ?? '',
      /\*\*missed\*\*: 2\.00× short of 0\.8×/,
    )

    const none = evaluateTargets({ rows: [], ratios: [] })
    assert.match(line(none, 'call to an active actor') ?? '', /not measured yet/)
  })
})
