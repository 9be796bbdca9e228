import { test } from 'node:test'
import { createKernel, silentLogger } from '@plexus/kernel'
import { nats } from '@plexus/nats'
import { remote, runHost } from '@plexus/remote'
import { reportGates, scale, serverSkip, startNatsServer, until } from '@plexus/testing'
import { auth, type Policies } from '@plexus/auth'
import { guarded } from './fixtures/guarded.js'
import {
  assertMatrix,
  matrixPrincipals,
  matrixServices,
  runMatrix,
} from './fixtures/policy-matrix.js'

// The same matrix as t23-policies.test.ts, over the two placements whose instances live in
// another process the kernel only reaches over a link: `r` on a remote host (TCP), `n` on another
// node of a NATS cluster. The kernel that attached them enforces the policies (docs/security.md).
const POLICIES = {
  actions: {
    'r.a': { roles: ['r1'] },
    'r.*': { scopes: ['s1'] },
    'n.a': { roles: ['r2'], callers: ['caller-a'] },
    'n.b': { claims: { tenant: 't1' } },
    'n.*': { authenticated: true },
    'r.$x': { roles: ['r3'] },
    'n.c': { scopes: ['s2'], claims: { tenant: ['t1', 't2'] } },
    'caller-a.relay': { public: true },
    'caller-b.relay': { public: true },
    'recorder.note': { callers: ['r', 'n'] },
  },
  streams: {
    'r.s': { roles: ['r1', 'r2'] },
    'n.s': { scopes: ['s2'] },
    'n.*': { claims: { tenant: ['t1', 't2'] } },
  },
  events: {
    'ev.one': { callers: ['caller-a'] },
    'ev.two': { roles: ['r1'] },
    'ev.t*': { authenticated: true },
  },
} satisfies Policies

const PLACED = ['r', 'n']

test(
  'T23: generated (caller x target x verb) cases over remote and NATS placements match the policy model',
  { skip: serverSkip('nats-server', 'nats-server') },
  async (t) => {
    const CASES = scale({ small: 4_000, full: 10_000 })
    const { verifier, principals } = await matrixPrincipals()
    const { notes, services } = matrixServices()
    // Registered before the server starts, so the kernels and the host stop before it does.
    const stops: (() => Promise<void>)[] = []
    t.after(async () => {
      for (const stop of stops.reverse()) await stop()
    })
    const server = await startNatsServer(t)
    const links = remote({ tcp: 'tcp://127.0.0.1:0', token: 'test-token-0123456789' })
    const kernel = createKernel({
      node: 'edge',
      logger: silentLogger,
      plugins: [
        auth({ verifier, policies: POLICIES }),
        links,
        nats({ servers: server.url, namespace: 't23' }),
      ],
    })
    for (const service of services) kernel.add(service)
    // The other node runs `n` and no auth plug-in: the edge node decides, before the link.
    const other = createKernel({
      node: 'other',
      logger: silentLogger,
      plugins: [nats({ servers: server.url, namespace: 't23' })],
    })
    other.add(guarded('n'))
    await kernel.start()
    stops.push(() => kernel.stop())
    await other.start()
    stops.push(() => other.stop())
    const host = runHost(guarded('r'), {
      connect: links.addresses.tcp!,
      token: 'test-token-0123456789',
      logger: silentLogger,
    })
    stops.push(() => host.stop())
    await until('r (remote) and n (node) attached', () =>
      kernel.describe('r.a') && kernel.describe('n.a') ? true : undefined,
    )

    const result = await runMatrix({
      kernel,
      policies: POLICIES,
      principals,
      notes,
      placed: PLACED,
      cases: CASES,
      seed: 2324,
      deliveryMs: 30_000,
    })
    reportGates('T23-links', `${CASES} cases`, {
      mismatches: result.mismatches.length,
      deniedDelivered: result.deniedDelivered.length,
    })
    assertMatrix(result, 20)
  },
)
