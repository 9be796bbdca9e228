import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import echo from './fixtures/echo.js'
import { fixture, isolatedKernel } from './helpers.js'

describe('interceptors on isolated placements', () => {
  for (const placement of ['worker', 'process']) {
    it(`wraps a ${placement} instance's handlers with a handle interceptor added after start`, async () => {
      const kernel = isolatedKernel()
      kernel.add(echo, { placement, module: fixture('echo') })
      await kernel.start()
      try {
        assert.equal(await kernel.call('echo.add', { a: 1, b: 2 }), 3)
        kernel.intercept({
          name: 'wrap',
          handle: (next, info) =>
            info.name === 'add'
              ? async (ctx, input) => ({ wrapped: await next(ctx, input) })
              : next,
        })
        assert.deepEqual(await kernel.call('echo.add', { a: 1, b: 2 }), { wrapped: 3 })
      } finally {
        await kernel.stop()
      }
    })
  }
})
