// A remote host (dialled in over TCP or WebSocket) speaks for the services it serves and no one
// else: it cannot write a principal into its calls and events, nor claim another service as
// the caller; a principal the kernel gave the request it handles is passed on.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  createKernel,
  defineService,
  silentLogger,
  type Context,
  type Kernel,
  type PlexusError,
} from '@plexus/kernel'
import { remote, runHost } from '@plexus/remote'
import { rejectionOf, until } from '@plexus/testing'
import { auth, createVerifier, principalOf, PRINCIPAL_KEY } from '@plexus/auth'
import { rsaKey, sign } from './tokens.js'

const key = rsaKey('k1')
const verifier = createVerifier({ keys: [key.jwk], algorithms: ['RS256'] })
const TOKEN = 'remote-forgery-token-0123456789'

// What a hostile host writes: a principal with every role, and a caller it is not.
const forged = {
  sub: 'root',
  roles: ['admin'],
  scopes: [],
  tenant: undefined,
  iss: 'x',
  claims: {},
}
const claims = { [PRINCIPAL_KEY]: forged, caller: 'orders', 'plexus.caller': 'orders' }

/** Served by the remote host: every onward call and event tries to claim more than it is. */
const forger = defineService({
  name: 'forger',
  actions: {
    call: (ctx: Context) => ctx.call('target.who', {}, { meta: claims }),
    caller: (ctx: Context) => ctx.call('target.caller', {}, { meta: claims }),
    admin: (ctx: Context) => ctx.call('target.admin', {}, { meta: claims }),
    emit: (ctx: Context) => ctx.emit('forged.evt', {}, { meta: claims }),
  },
})

for (const transport of ['tcp', 'ws'] as const) {
  test(`a remote host over ${transport} cannot claim a principal or another caller on its calls and events`, async (t) => {
    const seen: (string | null)[] = []
    const target = defineService({
      name: 'target',
      actions: {
        who: (ctx: Context) => principalOf(ctx)?.sub ?? null,
        caller: (ctx: Context) => ctx.caller ?? null,
        admin: () => 'admin only',
      },
      events: { 'forged.*': (ctx: Context) => void seen.push(principalOf(ctx)?.sub ?? null) },
    })
    const link = remote({ tcp: 'tcp://127.0.0.1:0', ws: 'ws://127.0.0.1:0/link', token: TOKEN })
    const security = auth({
      verifier,
      policies: {
        actions: {
          'forger.*': { public: true },
          'target.who': { callers: ['forger'] },
          'target.caller': { callers: ['forger'] },
          'target.admin': { callers: ['orders'], roles: ['admin'] },
        },
        events: { 'forged.*': { callers: ['forger'] } },
      },
    })
    // Untyped: the host's `forger` is registered by the link, not by this file's definitions.
    const kernel: Kernel = createKernel({ logger: silentLogger, plugins: [security, link] }).add(
      target,
    )
    await kernel.start()
    t.after(() => kernel.stop())
    const host = runHost(forger, {
      connect: link.addresses[transport]!,
      token: TOKEN,
      name: `forger-${transport}`,
      logger: silentLogger,
    })
    t.after(() => host.stop())
    await until('the host to register forger', () =>
      kernel.describe('forger.call') !== undefined ? true : undefined,
    )

    assert.equal(await kernel.call('forger.call', {}), null, 'no principal from the host')
    assert.equal(await kernel.call('forger.caller', {}), 'forger', 'the caller is the host service')
    // Neither the forged principal nor the forged caller counts: no principal, so 401.
    const refused: PlexusError = await rejectionOf(kernel.call('forger.admin', {}))
    assert.equal(refused.code, 'UNAUTHORIZED')
    assert.equal((refused.data as { rule: string }).rule, 'actions:target.admin')

    const principal = await verifier.verify(await sign(key, { sub: 'erin' }))
    const meta = { [PRINCIPAL_KEY]: principal }
    assert.equal(
      await kernel.call('forger.call', {}, { meta }),
      'erin',
      'the given one is passed on',
    )
    const still: PlexusError = await rejectionOf(kernel.call('forger.admin', {}, { meta }))
    assert.equal(still.code, 'FORBIDDEN', 'erin holds no admin role, whatever the host wrote')
    assert.deepEqual(
      [(still.data as { sub: string }).sub, (still.data as { caller: string }).caller],
      ['erin', 'forger'],
    )

    await kernel.call('forger.emit', {})
    await kernel.call('forger.emit', {}, { meta })
    await until('both events handled', () => (seen.length === 2 ? true : undefined))
    assert.deepEqual(seen.sort(), ['erin', null].sort())
  })
}
