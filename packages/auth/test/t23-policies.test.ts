import { test } from 'node:test'
import { createKernel, silentLogger } from '@plexus/kernel'
import { installIsolation } from '@plexus/isolate'
import { auth, type Policies } from '@plexus/auth'
import { guarded } from './fixtures/guarded.js'
import {
  assertMatrix,
  matrixPrincipals,
  matrixServices,
  runMatrix,
} from './fixtures/policy-matrix.js'

const POLICIES = {
  actions: {
    'i.a': { roles: ['r1'] },
    'i.*': { scopes: ['s1'] },
    'w.a': { roles: ['r2'], callers: ['caller-a'] },
    'w.b': { claims: { tenant: 't1' } },
    'w.*': { authenticated: true },
    'p.a': { public: true },
    'p.b': { callers: ['caller-b'] },
    'p.c': { scopes: ['s2'], claims: { tenant: ['t1', 't2'] } },
    'p.$x': { roles: ['r3'] },
    'caller-a.relay': { public: true },
    'caller-b.relay': { public: true },
    'recorder.note': { callers: ['i', 'w', 'p'] },
  },
  streams: {
    'i.s': { roles: ['r1', 'r2'] },
    'w.s': { scopes: ['s2'] },
    'p.*': { claims: { tenant: ['t1', 't2'] } },
  },
  events: {
    'ev.one': { callers: ['caller-a'] },
    'ev.two': { roles: ['r1'] },
    'ev.t*': { authenticated: true },
  },
} satisfies Policies

test('T23: 10,000 generated (caller x target x verb) cases over inline, worker and process placements match the policy model', async (t) => {
  const { verifier, principals } = await matrixPrincipals()
  const { notes, services } = matrixServices()
  const kernel = installIsolation(
    createKernel({ logger: silentLogger, plugins: [auth({ verifier, policies: POLICIES })] }),
  )
  kernel.add(guarded('i'))
  for (const service of services) kernel.add(service)
  kernel.add(guarded('w'), {
    placement: 'worker',
    module: new URL('./fixtures/guarded-w.ts', import.meta.url).href,
  })
  kernel.add(guarded('p'), {
    placement: 'process',
    module: new URL('./fixtures/guarded-p.ts', import.meta.url).href,
  })
  await kernel.start()
  t.after(() => kernel.stop())

  const result = await runMatrix({
    kernel,
    policies: POLICIES,
    principals,
    notes,
    placed: ['i', 'w', 'p'],
    cases: 10_000,
    seed: 23,
  })
  assertMatrix(result, 50)
})
