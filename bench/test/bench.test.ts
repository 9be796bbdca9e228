import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const RUNNER = fileURLToPath(new URL('../src/run.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-test-'))
const json = join(dir, 'latest.json')
const doc = join(dir, 'benchmarks.md')
const NOTES = '<!-- notes:start -->\nHand-written analysis.\n<!-- notes:end -->'

interface Result {
  rows: Array<Record<string, unknown>>
  ratios: Array<{ scenario: string; a: string; b: string; ratio: { median: number } }>
  machine: Record<string, unknown>
  failures: string[]
  profile?: { top: unknown[] }
}

void describe('npm run bench in tiny mode', () => {
  let status: number | null = null
  let output = ''
  before(() => {
    writeFileSync(doc, `# old page\n\n${NOTES}\n`)
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=plexus-source',
        '--import',
        'tsx',
        RUNNER,
        '--only=call',
        '--runs=1',
        '--scale=0.002',
        `--json=${json}`,
        `--doc=${doc}`,
      ],
      { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    )
    status = run.status
    output = run.stdout + run.stderr
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  void it('exits 0 with every measurement done', () => {
    assert.equal(status, 0, output)
  })

  void it('writes one median row per scenario, impl and concurrency', () => {
    const result = JSON.parse(readFileSync(json, 'utf8')) as Result
    assert.deepEqual(result.failures, [])
    const floor = result.rows.filter((r) => r.impl === 'floor')
    assert.deepEqual(floor.map((r) => r.concurrency).sort(), [1, 100])
    for (const row of result.rows) {
      assert.equal(row.scenario, 'call')
      for (const key of ['rps', 'p50_us', 'p99_us']) assert.equal(typeof row[key], 'number', key)
    }
    assert.ok(result.rows.some((r) => r.impl === 'moleculer'))
    assert.equal(typeof result.machine.node, 'string')
  })

  void it('states ratios pair by pair against the peer and the floor', () => {
    const result = JSON.parse(readFileSync(json, 'utf8')) as Result
    const pairs = result.ratios.map((r) => `${r.a}/${r.b}`)
    assert.ok(pairs.includes('moleculer/floor'))
    if (result.rows.some((r) => r.impl === 'plexus')) {
      assert.ok(pairs.includes('plexus/moleculer'))
      assert.ok(pairs.includes('plexus/floor'))
      assert.ok(result.profile && result.profile.top.length > 0, 'profile summary present')
    }
    for (const r of result.ratios) assert.ok(r.ratio.median > 0)
  })

  void it('regenerates the doc and keeps its hand-written notes', () => {
    const text = readFileSync(doc, 'utf8')
    assert.match(text, /^# Benchmarks/)
    assert.match(text, /\| scenario \| impl \| c1 req\/s \|/)
    assert.match(text, /## Targets/)
    assert.ok(text.includes(NOTES))
    assert.ok(!text.includes('# old page'))
  })
})
