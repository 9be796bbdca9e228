import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isPlexusError } from '@plexus/kernel'
import { loadConfig } from '@plexus/cli'

async function load(services: unknown, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-pool-config-'))
  try {
    await writeFile(join(dir, 'greeter.ts'), "export default { name: 'greeter', actions: {} }\n")
    await writeFile(join(dir, 'c.json'), JSON.stringify({ services }))
    return await loadConfig('c.json', { cwd: dir, env })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('services.<name>.instances: { min, max }', () => {
  it('becomes max instance slots and the pool setting the worker placement scales within', async () => {
    const config = await load({
      greeter: { module: './greeter.ts', placement: 'worker', instances: { min: 1, max: 3 } },
    })
    const [greeter] = config.services
    assert.equal(greeter!.instances, 3)
    assert.deepEqual(greeter!.settings, { instances: { min: 1, max: 3 } })
  })

  it('is set from the environment as JSON, next to the other settings', async () => {
    const config = await load(
      { greeter: { module: './greeter.ts', placement: 'process', settings: { stopGrace: 50 } } },
      { PLEXUS_SERVICES__GREETER__INSTANCES: '{"min":2,"max":5,"target":8}' },
    )
    const [greeter] = config.services
    assert.equal(greeter!.instances, 5)
    assert.deepEqual(greeter!.settings, { stopGrace: 50, instances: { min: 2, max: 5, target: 8 } })
  })

  it('is refused inline, and without a max, naming the key', async () => {
    for (const [services, pattern] of [
      [
        { greeter: { module: './greeter.ts', instances: { min: 1, max: 2 } } },
        /services\.greeter\.instances: expected a number \(autoscaled pools need placement 'worker' or 'process'\)/,
      ],
      [
        { greeter: { module: './greeter.ts', placement: 'worker', instances: { min: 1 } } },
        /services\.greeter\.instances\.max: expected a positive integer/,
      ],
    ] as const) {
      await assert.rejects(load(services), (error) => {
        assert.ok(isPlexusError(error, 'INVALID_CONFIG'))
        assert.match(error.message, pattern)
        return true
      })
    }
  })
})
