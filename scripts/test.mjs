// Runs every package's tests with node's own test runner (TypeScript through tsx, sources via the
// `plexus-source` export condition). Extra arguments are passed on: `npm test -- --test-name-pattern=x`.
import { spawnSync } from 'node:child_process'
import { readdirSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'examples', 'bench']
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (name.endsWith('.test.ts')) files.push(path)
  }
}
for (const root of roots) {
  if (!existsSync(root)) continue
  // `bench` is one workspace; `packages` and `examples` hold one workspace per folder.
  const workspaces = root === 'bench' ? [root] : readdirSync(root).map((pkg) => join(root, pkg))
  for (const workspace of workspaces) {
    const test = join(workspace, 'test')
    if (existsSync(test)) walk(test)
  }
}
const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'))
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files
const result = spawnSync(
  process.execPath,
  // A failing test can leave a guest or a server running; force-exit ends the file's process once
  // its tests are reported (instead of hanging CI), and no single test may run past 5 minutes.
  [
    '--test',
    '--test-concurrency=2',
    '--test-force-exit',
    '--test-timeout=300000',
    ...flags,
    ...selected.sort(),
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '--conditions=plexus-source --import tsx' },
  },
)
process.exit(result.status ?? 1)
