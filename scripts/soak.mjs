// `npm run soak`: the reliability tests at the scale RELIABILITY.md states. The tests are the same
// code `npm test` runs; PLEXUS_SCALE=full makes their `scale()` pick the full sizes. Each test
// prints its gate counts on a `PLEXUS-GATE {json}` line; this script collects them and prints one
// table: test, scale, each gate's count, pass. `npm run soak -- T3 T20c` runs only those rows.
import { spawn } from 'node:child_process'

/** What runs, in order: the test file, and the test-name pattern of the scaled test in it. */
const SUITE = [
  { id: 'T1', file: 'packages/kernel/test/replace.test.ts', name: 'replaces v1 -> v2 -> v3' },
  { id: 'T2', file: 'packages/isolate/test/reliability.test.ts', name: 'T2' },
  { id: 'T3', file: 'packages/isolate/test/supervision.test.ts', name: 'rounds of process.exit' },
  { id: 'T1-worker', file: 'packages/isolate/test/replace.test.ts', name: 'hot replace' },
  { id: 'T4', file: 'packages/isolate/test/supervision-groups.test.ts', name: 'rest_for_one' },
  { id: 'T11', file: 'packages/nats/test/drain.test.ts', name: 'T11' },
  { id: 'T13', file: 'packages/nats/test/bounce.test.ts', name: 'T13' },
  { id: 'T14', file: 'packages/nats/test/durable-chaos.test.ts', name: 'T14' },
  {
    id: 'T14-power',
    file: 'packages/nats/test/durable-power-loss.test.ts',
    name: 'T14, informative',
  },
  { id: 'T6', file: 'packages/isolate/test/hung-instance.test.ts', name: 'T6' },
  { id: 'T7', file: 'packages/kernel/test/deadlines.test.ts', name: 'A -> B -> C' },
  { id: 'T8', file: 'packages/resilience/test/retry.test.ts', name: 'T8' },
  { id: 'T9', file: 'packages/resilience/test/circuit-breaker.test.ts', name: 'T9' },
  { id: 'T10', file: 'packages/kernel/test/mailbox.test.ts', name: 'T10' },
  { id: 'T16', file: 'packages/isolate/test/stream-backpressure.test.ts', name: 'T16' },
  { id: 'T17', file: 'packages/kernel/test/leaks.test.ts', name: 'returns to its starting heap' },
  {
    id: 'T17-worker',
    file: 'packages/isolate/test/restart-leaks.test.ts',
    name: 'worker restarts',
  },
  { id: 'T20c', file: 'packages/gateway/test/hardening.test.ts', name: 'T20c' },
  { id: 'T21', file: 'packages/gateway/test/websocket.test.ts', name: 'T21' },
  { id: 'T25a', file: 'packages/kernel/test/scheduled-model.test.ts', name: 'scheduled runs' },
  { id: 'T23-links', file: 'packages/auth/test/t23-links.test.ts', name: 'T23' },
  { id: 'T23-forged', file: 'packages/nats/test/forgery.test.ts', name: 'T23' },
  { id: 'T24', file: 'packages/nats/test/t24-integrity.test.ts', name: 'T24' },
]

const wanted = process.argv.slice(2)
const selected = wanted.length ? SUITE.filter((s) => wanted.includes(s.id)) : SUITE
const GATE = 'PLEXUS-GATE '

/** Runs one test file at full scale; resolves with its gate lines and TAP results. */
function run({ file, name }) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-reporter=tap',
        '--test-force-exit',
        '--test-timeout=900000',
        `--test-name-pattern=${name}`,
        file,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          PLEXUS_SCALE: 'full',
          NODE_OPTIONS: '--conditions=plexus-source --import tsx',
        },
      },
    )
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('exit', (code) => resolve({ code, out }))
  })
}

/**
 * Pairs each gate line with the TAP result of the test that printed it (the next `ok` or
 * `not ok` line below it).
 */
function rows(out) {
  const found = []
  let waiting = []
  for (const line of out.split('\n')) {
    const at = line.indexOf(GATE)
    if (at >= 0) waiting.push(JSON.parse(line.slice(at + GATE.length)))
    const result = /^\s*(not ok|ok) \d+ - (.*)$/.exec(line)
    if (result && waiting.length > 0 && !result[2].includes('# SKIP')) {
      for (const gate of waiting) found.push({ ...gate, pass: result[1] === 'ok' })
      waiting = []
    }
  }
  for (const gate of waiting) found.push({ ...gate, pass: false })
  return found
}

const started = new Date()
const table = []
for (const entry of selected) {
  const t0 = performance.now()
  process.stderr.write(`soak: ${entry.id} (${entry.file}) ...\n`)
  const { code, out } = await run(entry)
  const seconds = Math.round((performance.now() - t0) / 1000)
  const found = rows(out)
  if (found.length === 0)
    table.push({ test: entry.id, scale: '-', size: '-', gates: {}, pass: false })
  for (const row of found) table.push({ ...row, pass: row.pass && code === 0, seconds })
  if (code !== 0)
    process.stderr.write(
      out
        .split('\n')
        .filter((l) => /not ok|error:/.test(l))
        .join('\n') + '\n',
    )
}

const gates = (g) =>
  Object.entries(g)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
console.log(`\nPlexus soak, ${started.toISOString()}, PLEXUS_SCALE=full\n`)
console.log('| Test | Scale | Size | Gate counts | Time | Pass |')
console.log('|---|---|---|---|---|---|')
for (const r of table) {
  console.log(
    `| ${r.test} | ${r.scale} | ${r.size} | ${gates(r.gates)} | ${r.seconds ?? '-'} s | ${r.pass ? 'yes' : '**no**'} |`,
  )
}
process.exit(table.every((r) => r.pass) ? 0 : 1)
