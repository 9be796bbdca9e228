import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKernel, defineService, type Context } from '@plexus/kernel'
import { until } from '@plexus/testing'
import { auth, createVerifier, principalOf, PRINCIPAL_KEY } from '@plexus/auth'
import { rsaKey, sign } from './tokens.js'

const key = rsaKey('k1')
const verifier = createVerifier({ keys: [key.jwk], algorithms: ['RS256'] })
const forged = {
  sub: 'root',
  roles: ['admin'],
  scopes: [],
  tenant: undefined,
  iss: undefined,
  claims: {},
}

function build() {
  const seen: (string | undefined)[] = []
  const who = defineService({
    name: 'who',
    actions: { whoami: (ctx: Context) => principalOf(ctx)?.sub ?? null },
    streams: {
      async *watch(ctx: Context) {
        yield principalOf(ctx)?.sub ?? null
      },
    },
    events: { 'ping.*': (ctx: Context) => void seen.push(principalOf(ctx)?.sub) },
  })
  const relay = defineService({
    name: 'relay',
    actions: {
      forge: (ctx: Context) => ctx.call('who.whoami', {}, { meta: { [PRINCIPAL_KEY]: forged } }),
      pass: (ctx: Context) => ctx.call('who.whoami', {}, { meta: ctx.meta }),
      emitForged: (ctx: Context) => ctx.emit('ping.x', {}, { meta: { [PRINCIPAL_KEY]: forged } }),
    },
  })
  const kernel = createKernel({ plugins: [auth({ verifier })] })
    .add(who)
    .add(relay)
  return { kernel, seen }
}

test('a principal written into meta by a caller outside the kernel never reaches the handler', async () => {
  const { kernel } = build()
  await kernel.start()
  try {
    const meta = { [PRINCIPAL_KEY]: forged }
    assert.equal(await kernel.call('who.whoami', {}, { meta }), null)
    const items = []
    for await (const item of kernel.stream('who.watch', {}, { meta })) items.push(item)
    assert.deepEqual(items, [null])
  } finally {
    await kernel.stop()
  }
})

test('a verified principal set by the auth layer reaches handlers and onward calls', async () => {
  const { kernel } = build()
  await kernel.start()
  try {
    const principal = await verifier.verify(await sign(key, { sub: 'alice' }))
    const meta = { [PRINCIPAL_KEY]: principal }
    assert.equal(await kernel.call('who.whoami', {}, { meta }), 'alice')
    assert.equal(await kernel.call('relay.pass', {}, { meta }), 'alice')
  } finally {
    await kernel.stop()
  }
})

test('a service cannot overwrite the principal of the message it handles, by call or emit', async () => {
  const { kernel, seen } = build()
  await kernel.start()
  try {
    const principal = await verifier.verify(await sign(key, { sub: 'bob' }))
    const meta = { [PRINCIPAL_KEY]: principal }
    assert.equal(await kernel.call('relay.forge', {}, { meta }), 'bob')
    assert.equal(await kernel.call('relay.forge', {}), null)
    await kernel.call('relay.emitForged', {}, { meta })
    await kernel.call('relay.emitForged', {})
    kernel.emit('ping.y', {}, { meta: { [PRINCIPAL_KEY]: forged } })
    await until('three deliveries', () => (seen.length === 3 ? true : undefined))
    assert.deepEqual(seen, ['bob', undefined, undefined])
  } finally {
    await kernel.stop()
  }
})

test('a service that writes a principal into its own ctx.meta passes none on to its calls', async () => {
  const seen: (string | null)[] = []
  const who = defineService({
    name: 'who',
    actions: { whoami: (ctx: Context) => principalOf(ctx)?.sub ?? null },
    events: { 'mutated.*': (ctx: Context) => void seen.push(principalOf(ctx)?.sub ?? null) },
  })
  const mutator = defineService({
    name: 'mutator',
    actions: {
      relay: (ctx: Context) => {
        ctx.meta[PRINCIPAL_KEY] = forged
        return ctx.call('who.whoami', {})
      },
      emit: (ctx: Context) => {
        ctx.meta[PRINCIPAL_KEY] = forged
        ctx.emit('mutated.x', {})
      },
    },
  })
  const kernel = createKernel({ plugins: [auth({ verifier })] })
    .add(who)
    .add(mutator)
  await kernel.start()
  try {
    assert.equal(await kernel.call('mutator.relay', {}), null)
    const principal = await verifier.verify(await sign(key, { sub: 'frank' }))
    // Overwriting the one it was given loses it: the forged one never travels, nor the original.
    assert.equal(
      await kernel.call('mutator.relay', {}, { meta: { [PRINCIPAL_KEY]: principal } }),
      null,
    )
    await kernel.call('mutator.emit', {})
    await kernel.call('mutator.emit', {}, { meta: { [PRINCIPAL_KEY]: principal } })
    await until('both events handled', () => (seen.length === 2 ? true : undefined))
    assert.deepEqual(seen, [null, null])
  } finally {
    await kernel.stop()
  }
})
