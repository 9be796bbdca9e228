import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  definePlugin,
  defineService,
  type Kernel,
  InstanceStats,
  PlexusError,
  type CallContext,
  type Instance,
  type PlacementRequest,
} from '@plexus/kernel'
import { quietKernel } from './helpers.js'

/** A placement whose first instance is "dead": every message answers UNAVAILABLE. */
function halfDead(request: PlacementRequest): Instance {
  const dead = request.id.endsWith('#1') || request.id.endsWith('#3')
  const handlers = new Map(
    Object.entries(request.definition.actions ?? {}).map(([name, a]) => [
      name,
      request.compile(typeof a === 'function' ? a : a.handler, {
        service: request.definition.name,
        version: 1,
        name,
        kind: 'action',
        input: undefined,
        output: undefined,
        idempotent: false,
      }),
    ]),
  )
  const instance: Instance = {
    id: request.id,
    placement: 'half-dead',
    stats: new InstanceStats(),
    state: 'idle',
    invoke: async (action: string, ctx: CallContext, input: unknown) => {
      instance.stats.count++
      if (dead) throw new PlexusError('UNAVAILABLE', `${request.id} crashed`)
      return handlers.get(action)!(ctx, input)
    },
    deliver: () => {},
    compile: () => {},
    open: () => {
      throw new PlexusError('NOT_FOUND', 'no streams')
    },
    start: async () => {
      instance.state = 'running'
    },
    stop: async () => {
      instance.state = 'stopped'
    },
  }
  return instance
}

describe('placements', () => {
  it('routes through a placement plug-in and retries an idempotent action on another instance when one is UNAVAILABLE', async () => {
    const kernel = quietKernel()
      .placement('half-dead', halfDead)
      .add(
        defineService({
          name: 'stock',
          actions: {
            read: { idempotent: true, handler: () => 'ok' },
            reserve: () => 'reserved',
          },
        }),
        { placement: 'half-dead', instances: 2 },
      )
    await kernel.start()
    const reads = await Promise.allSettled(
      Array.from({ length: 100 }, () => kernel.call('stock.read')),
    )
    assert.equal(
      reads.filter((r) => r.status === 'rejected').length,
      0,
      'idempotent: 0 errors seen by callers',
    )
    const reserves = await Promise.allSettled(
      Array.from({ length: 100 }, () => kernel.call('stock.reserve')),
    )
    const failed = reserves.filter((r) => r.status === 'rejected')
    assert.equal(failed.length, 50, 'not idempotent: never retried')
    for (const f of failed) {
      const reason = f.reason as PlexusError
      assert.equal(reason.code, 'UNAVAILABLE')
      assert.equal(reason.retryable, true)
    }
    await kernel.stop()
  })

  it('refuses an unknown placement with INVALID_ARGUMENT naming the known ones, at start or at once when running', async () => {
    const early = quietKernel().add(defineService({ name: 'x' }), { placement: 'mars' })
    await assert.rejects(early.start(), {
      code: 'INVALID_ARGUMENT',
      message: /unknown placement 'mars' \(known: inline\)/,
    })
    const running = quietKernel()
    await running.start()
    assert.throws(() => running.add(defineService({ name: 'x' }), { placement: 'mars' }), {
      code: 'INVALID_ARGUMENT',
    })
    await running.stop()
  })

  it('accepts a placement registered by a plug-in for services added before start', async () => {
    const kernel = quietKernel({
      plugins: [
        definePlugin<Kernel<any>>({
          name: 'links',
          setup: (k) => void k.placement('half-dead', halfDead),
        }),
      ],
    }).add(
      defineService({
        name: 'stock',
        actions: { read: { idempotent: true, handler: () => 'ok' } },
      }),
      {
        placement: 'half-dead',
        instances: 2,
      },
    )
    await kernel.start()
    assert.equal(await kernel.call('stock.read'), 'ok')
    await kernel.stop()
  })
})
