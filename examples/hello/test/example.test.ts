import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

describe('the hello example (npm run example)', () => {
  it('runs the tour end to end: call, typed error, event, stream, hot replace, stop', async () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url))
    const { stdout } = await run(
      process.execPath,
      ['--conditions=plexus-source', '--import', 'tsx', main],
      {
        env: { ...process.env, PLEXUS_LOG_LEVEL: 'warn' },
        timeout: 20_000,
      },
    )
    assert.match(stdout, /kernel started: users@1, catalog@1, orders@1, mail@1/)
    assert.match(stdout, /orders\.place -> \{"id":"o-[a-z0-9]+","customer":"Ada","total":900\}/)
    assert.match(stdout, /orders\.place for user 9 -> NOT_FOUND: No user 9/)
    assert.match(stdout, /mail: orders\.created -> note to Ada/)
    assert.match(stdout, /catalog\.feed -> \{"sku":"butter","cents":600\}/)
    assert.match(
      stdout,
      /after hot replace: catalog\.price -> \{"sku":"tea","cents":270,"sale":true\}/,
    )
    assert.match(stdout, /kernel stopped/)
  })
})
