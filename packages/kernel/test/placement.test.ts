import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  definePlugin,
  defineService,
  manifestOf,
  type Kernel,
  PlexusError,
  type InstanceLink,
  type InstanceState,
  type MessageContext,
  type PlacementRequest,
  type ServiceDefinition,
} from '@plexus/kernel'
import { deferred, quietKernel, rejectionOf } from './helpers.js'

/** A link that runs a definition's actions itself, as a link to another process would. */
class FakeLink implements InstanceLink {
  state: InstanceState = 'running'
  calls = 0
  readonly #definition: ServiceDefinition
  constructor(
    readonly id: string,
    readonly node: string,
    definition: ServiceDefinition,
    readonly placement = 'fake',
    readonly dead = false,
  ) {
    this.#definition = definition
  }
  invoke(action: string, ctx: MessageContext, input: unknown): unknown {
    this.calls++
    if (this.dead) throw new PlexusError('UNAVAILABLE', `${this.id} crashed`, { retryable: true })
    const entry = this.#definition.actions![action]!
    return (typeof entry === 'function' ? entry : entry.handler)(ctx, input)
  }
  deliver(pattern: string, ctx: MessageContext, payload: unknown): unknown {
    const entry = this.#definition.events![pattern]!
    return (typeof entry === 'function' ? entry : entry.handler)(ctx, payload)
  }
  open(): unknown {
    throw new PlexusError('NOT_FOUND', 'no streams')
  }
  async start(): Promise<void> {
    this.state = 'running'
  }
  async stop(): Promise<void> {
    this.state = 'stopped'
  }
}

/** A placement whose first and third instances are "dead": every message answers UNAVAILABLE. */
function halfDead(request: PlacementRequest): InstanceLink {
  const dead = request.id.endsWith('#1') || request.id.endsWith('#3')
  return new FakeLink(request.id, request.node, request.definition, 'half-dead', dead)
}

const stock = defineService({
  name: 'stock',
  actions: {
    read: { idempotent: true, handler: () => 'ok' },
    reserve: () => 'reserved',
  },
})

describe('placements', () => {
  it('routes through a placement plug-in and retries an idempotent action on another instance when one is UNAVAILABLE', async () => {
    const kernel = quietKernel()
      .placement('half-dead', halfDead)
      .add(stock, { placement: 'half-dead', instances: 2 })
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
    const [status] = kernel.services()
    assert.equal(
      status!.instances.reduce((n, i) => n + i.errors, 0),
      100,
      'the kernel counts errors for every link (50 reserves + 50 first tries of reads)',
    )
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
    }).add(stock, { placement: 'half-dead', instances: 2 })
    await kernel.start()
    assert.equal(await kernel.call('stock.read'), 'ok')
    await kernel.stop()
  })

  it('qualifies every instance id with the node that runs it, and shows the node in the status', async () => {
    const kernel = quietKernel({ node: 'edge-1' }).add(stock, { instances: 2 })
    await kernel.start()
    const ids = kernel.services()[0]!.instances.map((i) => [i.id, i.node, i.local])
    assert.deepEqual(ids, [
      ['edge-1/stock@1#1', 'edge-1', true],
      ['edge-1/stock@1#2', 'edge-1', true],
    ])
    await kernel.stop()
    assert.throws(() => quietKernel({ node: 'a.b' }), { code: 'INVALID_ARGUMENT' })
  })
})

describe('manifest-only services (attach)', () => {
  const pricing = defineService({
    name: 'pricing',
    actions: {
      quote: { idempotent: true, handler: (_ctx, { sku }: { sku: string }) => `${sku}:9` },
      charge: () => 'charged',
    },
    events: { 'orders.*': () => {} },
  })

  it('routes calls to an instance the kernel has no code for, and removes the version with its last instance', async () => {
    const kernel = quietKernel({ node: 'k1' })
    await kernel.start()
    const link = new FakeLink('h1/pricing@1#1', 'k1', pricing, 'remote')
    const detach = kernel.attach(manifestOf(pricing), link)
    assert.equal(await kernel.call('pricing.quote', { sku: 'tea' }), 'tea:9')
    const [status] = kernel.services()
    assert.equal(status!.name, 'pricing')
    assert.deepEqual(
      status!.instances.map((i) => [i.id, i.placement, i.local]),
      [['h1/pricing@1#1', 'remote', false]],
    )
    assert.equal(
      status!.instances[0]!.count,
      1,
      'the kernel keeps the figures of attached instances',
    )
    detach()
    assert.deepEqual(kernel.services(), [])
    const gone = await rejectionOf(kernel.call('pricing.quote', { sku: 'tea' }))
    assert.equal(gone.code, 'NOT_FOUND')
    detach() // idempotent
    await kernel.stop()
  })

  it('refuses an instance whose manifest clashes with the running version, with MANIFEST_MISMATCH', async () => {
    const kernel = quietKernel().add(pricing)
    await kernel.start()
    const other = defineService({ name: 'pricing', actions: { quote: () => 1 } })
    const error = await rejectionOf(
      Promise.resolve().then(() =>
        kernel.attach(manifestOf(other), new FakeLink('h/pricing@1#1', 'h', other)),
      ),
    )
    assert.equal(error.code, 'MANIFEST_MISMATCH')
    assert.match(error.message, /pricing@1/)
    assert.equal(kernel.services()[0]!.instances.length, 1, 'nothing was attached')
    await kernel.stop()
  })

  it('prefers a running local instance over attached ones, and fails over to them when none is left', async () => {
    const kernel = quietKernel({ node: 'k1' }).add(pricing)
    await kernel.start()
    const remote = new FakeLink('h1/pricing@1#9', 'k1', pricing, 'remote')
    kernel.attach(manifestOf(pricing), remote)
    for (let i = 0; i < 20; i++) await kernel.call('pricing.quote', { sku: 'x' })
    assert.equal(remote.calls, 0, 'the local instance won every call')
    const local = kernel.services()[0]!.instances.find((i) => i.local)!
    assert.equal(local.count, 20)
    await kernel.stop()

    const remoteFirst = quietKernel({ node: 'k2', preferLocal: false }).add(pricing)
    await remoteFirst.start()
    const shared = new FakeLink('h2/pricing@1#9', 'k2', pricing, 'remote')
    remoteFirst.attach(manifestOf(pricing), shared)
    for (let i = 0; i < 20; i++) await remoteFirst.call('pricing.quote', { sku: 'x' })
    assert.equal(shared.calls, 10, 'preferLocal: false balances across both')
    await remoteFirst.stop()
  })

  it('ends what waits in a detached instance mailbox with UNAVAILABLE, and retries idempotent calls on another instance', async () => {
    const kernel = quietKernel({ node: 'k1' })
    await kernel.start()
    const gate = deferred()
    const slow = defineService({
      name: 'slow',
      concurrency: 1,
      actions: {
        work: { idempotent: true, handler: () => gate.promise.then(() => 'a') },
        once: () => gate.promise.then(() => 'a'),
      },
    })
    const a = new FakeLink('h1/slow@1#1', 'k1', slow, 'remote')
    const detachA = kernel.attach(manifestOf(slow), a)
    const running = kernel.call('slow.work')
    const queuedIdempotent = kernel.call('slow.work')
    const queuedOnce = kernel.call('slow.once')
    const fast = defineService({
      name: 'slow',
      concurrency: 1,
      actions: { work: { idempotent: true, handler: () => 'b' }, once: () => 'b' },
    })
    kernel.attach(manifestOf(fast), new FakeLink('h2/slow@1#2', 'k1', fast, 'remote'))
    detachA()
    const once = await rejectionOf(queuedOnce)
    assert.equal(once.code, 'UNAVAILABLE')
    assert.equal(once.retryable, true)
    assert.equal(await queuedIdempotent, 'b', 'retried on the other instance')
    gate.resolve()
    assert.equal(await running, 'a', 'what already ran on the link is the link’s to end')
    await kernel.stop()
  })

  it('refuses to attach before the kernel starts', async () => {
    const kernel = quietKernel()
    assert.throws(() => kernel.attach(manifestOf(pricing), new FakeLink('x', 'k', pricing)), {
      code: 'INVALID_STATE',
    })
  })
})

describe('targeted, awaitable event delivery (dispatch)', () => {
  it('delivers to the named service only and settles when its handler has, rejecting with its error', async () => {
    const seen: string[] = []
    const gate = deferred()
    const kernel = quietKernel()
      .add(
        defineService({
          name: 'billing',
          events: {
            'orders.*': async (ctx, p: { id: number }) => {
              await gate.promise
              if (p.id < 0) throw new Error('negative id')
              seen.push(`billing ${ctx.topic} ${p.id}`)
            },
          },
        }),
      )
      .add(
        defineService({
          name: 'audit',
          events: { 'orders.*': () => void seen.push('audit') },
        }),
      )
    await kernel.start()
    let settled = false
    const done = kernel.dispatch('billing', 'orders.created', { id: 7 }).then(() => {
      settled = true
    })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(settled, false, 'not settled while the handler runs')
    gate.resolve()
    await done
    assert.deepEqual(seen, ['billing orders.created 7'], 'audit was not delivered to')
    const failed = await rejectionOf(kernel.dispatch('billing', 'orders.created', { id: -1 }))
    assert.equal(failed.code, 'HANDLER')
    assert.equal(kernel.counters.eventErrors, 1, 'the failure is also counted')
    const none = await rejectionOf(kernel.dispatch('billing', 'users.created', {}))
    assert.equal(none.code, 'NOT_FOUND')
    await kernel.stop()
  })
})

describe('plug-in start failure', () => {
  it('tears down the plug-ins loaded before a failing one, in reverse order, and fails with PLUGIN_FAILED', async () => {
    const log: string[] = []
    const plugin = (name: string, fail = false) =>
      definePlugin<Kernel<any>>({
        name,
        setup: () => {
          if (fail) throw new Error('port in use')
          log.push(`setup ${name}`)
          return () => void log.push(`teardown ${name}`)
        },
      })
    const kernel = quietKernel({
      plugins: [plugin('gateway'), plugin('metrics'), plugin('broken', true)],
    })
    const error = await rejectionOf(kernel.start())
    assert.equal(error.code, 'PLUGIN_FAILED')
    assert.match(error.message, /'broken'.*port in use/)
    assert.deepEqual(log, [
      'setup gateway',
      'setup metrics',
      'teardown metrics',
      'teardown gateway',
    ])
    assert.equal(kernel.state, 'stopped')
  })
})
