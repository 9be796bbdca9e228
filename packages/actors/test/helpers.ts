import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { createKernel, silentLogger, type Kernel, type ServiceDefinition } from '@plexus/kernel'
import { kvService, type KvServiceOptions } from '@plexus/kv'

/** A kernel with a kv service over `store` and the given actors, started; stopped after `t`. */
export async function actorKernel(
  t: TestContext,
  store: KvServiceOptions,
  ...actors: ServiceDefinition[]
): Promise<Kernel> {
  const kernel = createKernel({ logger: silentLogger }).add(kvService(store))
  for (const actor of actors) kernel.add(actor)
  await kernel.start()
  t.after(() => (kernel.state === 'running' ? kernel.stop() : undefined))
  return kernel
}

/** A temp directory removed after `t`. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-actors-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}
