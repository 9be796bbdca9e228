import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { binarySkip, findBinary, requireBinary } from '@plexus/testing'

const MISSING = 'plexus-no-such-binary'

/** Runs `fn` with PLEXUS_REQUIRE_SERVICES set to `value` (undefined: unset), then restores it. */
function withRequire<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env['PLEXUS_REQUIRE_SERVICES']
  if (value === undefined) delete process.env['PLEXUS_REQUIRE_SERVICES']
  else process.env['PLEXUS_REQUIRE_SERVICES'] = value
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env['PLEXUS_REQUIRE_SERVICES']
    else process.env['PLEXUS_REQUIRE_SERVICES'] = saved
  }
}

describe('tests needing a real component', () => {
  it('skip with a message naming the binary and how to install it when it is absent', () => {
    const reason = withRequire(undefined, () => binarySkip(MISSING, 'apt-get install it'))
    assert.equal(typeof reason, 'string')
    assert.match(reason as string, /plexus-no-such-binary is not installed \(apt-get install it\)/)
  })

  it('run when the binary is on PATH or given by absolute path', () => {
    assert.equal(
      withRequire(undefined, () => binarySkip(process.execPath, '-')),
      false,
    )
    assert.notEqual(findBinary('sh'), undefined, 'sh is on PATH')
  })

  it('under PLEXUS_REQUIRE_SERVICES=1 never skip: the test runs and fails naming the binary', () => {
    assert.equal(
      withRequire('1', () => binarySkip(MISSING, '-')),
      false,
    )
    assert.throws(() => requireBinary(MISSING), /plexus-no-such-binary is required/)
  })

  // The browser test itself, run as `npm test` runs it, with Chromium pointed somewhere empty.
  const browserTest = fileURLToPath(
    new URL('../../gateway/test/dashboard-browser.test.ts', import.meta.url),
  )
  const runBrowserTest = (require: boolean) => {
    // Without NODE_TEST_CONTEXT, the inner runner reports in plain TAP instead of to this one.
    const { NODE_TEST_CONTEXT: _inner, ...env } = process.env
    return spawnSync(process.execPath, ['--test', '--test-reporter=tap', browserTest], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...env,
        PLEXUS_CHROMIUM: '/nonexistent/chromium',
        PLEXUS_REQUIRE_SERVICES: require ? '1' : '0',
        NODE_OPTIONS: '--conditions=plexus-source --import tsx',
      },
    })
  }

  it('the browser tests skip with the message when Chromium is absent', () => {
    const run = runBrowserTest(false)
    assert.equal(run.status, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /# SKIP \/nonexistent\/chromium is not installed/)
    assert.match(run.stdout, /^# skipped [1-9]/m)
  })

  it('the browser tests fail when Chromium is absent under PLEXUS_REQUIRE_SERVICES=1', () => {
    const run = runBrowserTest(true)
    assert.notEqual(run.status, 0)
    assert.match(run.stdout, /\/nonexistent\/chromium is required/)
    assert.match(run.stdout, /^# skipped 0/m)
  })
})
