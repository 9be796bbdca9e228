import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as v from 'valibot'
import { z } from 'zod'
import { defineAction, defineService, PlexusError, type Interceptor } from '@plexus/kernel'
import { quietKernel, rejectionOf } from './helpers.js'

describe('interceptors', () => {
  it('refuses an interceptor naming a hook outside the closed set with INVALID_INTERCEPTOR', () => {
    const kernel = quietKernel()
    assert.throws(() => kernel.intercept({ name: 'x', beforeCall: () => {} } as never), {
      code: 'INVALID_INTERCEPTOR',
      message: /unknown hook 'beforeCall'/,
    })
    assert.throws(() => kernel.intercept({ name: '' }), { code: 'INVALID_INTERCEPTOR' })
    assert.throws(() => kernel.intercept({ name: 'x', call: 42 } as never), {
      code: 'INVALID_INTERCEPTOR',
    })
  })

  it('runs call, handle, emit and stream hooks in registration order, outermost first', async () => {
    const log: string[] = []
    const tag = (name: string): Interceptor => ({
      name,
      call: (next) => (address, input, options, caller) => {
        log.push(`${name}:call ${address}`)
        return next(address, input, options, caller)
      },
      handle: (next, info) => (ctx, input) => {
        log.push(`${name}:handle ${info.kind} ${info.name}`)
        return next(ctx, input)
      },
      emit: (next) => (topic, payload, options, caller) => {
        log.push(`${name}:emit ${topic}`)
        next(topic, payload, options, caller)
      },
      stream: (next) => (kind, address, input, options, caller) => {
        log.push(`${name}:${kind} ${address}`)
        return next(kind, address, input, options, caller)
      },
    })
    const kernel = quietKernel({ interceptors: [tag('outer'), tag('inner')] }).add(
      defineService({
        name: 's',
        actions: { a: () => 1 },
        events: { 'e.x': () => {} },
        streams: {
          st: async function* () {
            yield 1
          },
        },
      }),
    )
    await kernel.start()
    await kernel.call('s.a')
    kernel.emit('e.x')
    for await (const _ of kernel.stream('s.st')) break
    assert.deepEqual(log, [
      'outer:call s.a',
      'inner:call s.a',
      'outer:handle action a',
      'inner:handle action a',
      'outer:emit e.x',
      'inner:emit e.x',
      'outer:handle event e.x',
      'inner:handle event e.x',
      'outer:stream s.st',
      'inner:stream s.st',
      'outer:handle stream st',
      'inner:handle stream st',
    ])
    await kernel.stop()
  })

  it('validates input and output with any Standard Schema validator (zod, valibot) and answers VALIDATION with the issues', async () => {
    const kernel = quietKernel().add(
      defineService({
        name: 'users',
        actions: {
          create: defineAction({
            input: z.object({ email: z.email(), age: z.number().int().min(0) }),
            handler: (_ctx, input) => ({ id: 1, email: input.email }),
          }),
          rename: defineAction({
            input: v.object({ name: v.pipe(v.string(), v.minLength(2)) }),
            output: v.object({ name: v.string() }),
            handler: (_ctx, input) =>
              (input.name === 'bug' ? { name: 42 } : { name: input.name }) as { name: string },
          }),
        },
      }),
    )
    await kernel.start()
    assert.deepEqual(await kernel.call('users.create', { email: 'a@b.co', age: 3 }), {
      id: 1,
      email: 'a@b.co',
    })
    const zodError = await rejectionOf(kernel.call('users.create', { email: 'nope', age: -1 }))
    assert.equal(zodError.code, 'VALIDATION')
    assert.match(zodError.message, /input of 'users.create'/)
    assert.deepEqual(zodError.data.issues.map((i: { path: string[] }) => i.path.join('.')).sort(), [
      'age',
      'email',
    ])
    const valibotError = await rejectionOf(kernel.call('users.rename', { name: 'x' }))
    assert.equal(valibotError.code, 'VALIDATION')
    assert.deepEqual(valibotError.data.issues[0].path, ['name'])
    const outputError = await rejectionOf(kernel.call('users.rename', { name: 'bug' }))
    assert.equal(outputError.code, 'VALIDATION')
    assert.match(outputError.message, /output of 'users.rename'/)
    await kernel.stop()
  })

  it('can refuse a call from a handle hook with a typed error (an auth check)', async () => {
    const kernel = quietKernel({
      interceptors: [
        {
          name: 'auth',
          handle: (next) => (ctx, input) => {
            if (ctx.meta.token !== 'secret')
              throw new PlexusError('UNAUTHORIZED', 'Missing or bad token')
            return next(ctx, input)
          },
        },
      ],
    }).add(defineService({ name: 'vault', actions: { open: () => 'opened' } }))
    await kernel.start()
    assert.equal(
      await kernel.call('vault.open', undefined, { meta: { token: 'secret' } }),
      'opened',
    )
    assert.equal((await rejectionOf(kernel.call('vault.open'))).code, 'UNAUTHORIZED')
    await kernel.stop()
  })
})
