import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import {
  ERROR_CODES,
  PlexusError,
  isPlexusError,
  toPlexusError,
  type ErrorCode,
} from '@plexus/kernel'

describe('errors', () => {
  it('round-trips every code through JSON with code, retryable, data and cause intact', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const cause = new PlexusError('TIMEOUT', 'inner')
      const error = new PlexusError(code, `failed with ${code}`, { data: { n: 1 }, cause })
      const back = PlexusError.fromJSON(JSON.parse(JSON.stringify(error)))
      assert.ok(back instanceof PlexusError)
      assert.equal(back.code, code)
      assert.equal(back.message, `failed with ${code}`)
      assert.equal(back.retryable, ERROR_CODES[code].retryable)
      assert.deepEqual(back.data, { n: 1 })
      assert.ok(isPlexusError(back.cause, 'TIMEOUT'))
    }
  })

  it('keeps an explicit retryable flag and rebuilds an unknown code as HANDLER without losing it', () => {
    const forced = PlexusError.fromJSON(
      new PlexusError('HANDLER', 'x', { retryable: true }).toJSON(),
    )
    assert.equal(forced.retryable, true)
    const unknown = PlexusError.fromJSON({
      name: 'PlexusError',
      code: 'TEAPOT',
      message: 'short and stout',
      retryable: false,
    })
    assert.equal(unknown.code, 'HANDLER')
    assert.equal(unknown.message, 'short and stout')
    assert.deepEqual(unknown.data, { code: 'TEAPOT', data: undefined })
    assert.equal(PlexusError.fromJSON('garbage').code, 'HANDLER')
  })

  it('wraps anything thrown: a plain Error keeps its message, a non-error is described', () => {
    const wrapped = toPlexusError(new RangeError('too big'))
    assert.equal(wrapped.code, 'HANDLER')
    assert.equal(wrapped.message, 'too big')
    assert.equal(toPlexusError('just a string').message, 'Non-error thrown: just a string')
    const same = new PlexusError('FORBIDDEN', 'no')
    assert.equal(toPlexusError(same), same)
  })

  it('documents exactly the codes the code defines (docs/errors.md)', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (yes|no) \|/gm)].map(
      (m) => [m[1], m[2] === 'yes'] as const,
    )
    const documented = new Map(rows)
    assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort())
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.equal(
        documented.get(code),
        info.retryable,
        `retryable flag of ${code} in docs/errors.md`,
      )
    }
  })
})
