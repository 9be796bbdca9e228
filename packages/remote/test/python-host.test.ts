import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import type { Kernel } from '@plexus/kernel'
import { rejectionOf, until } from '@plexus/testing'
import { TOKEN, exited, listeningKernel, routable } from './helpers.js'

const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (bin) => spawnSync(bin, ['--version']).status === 0,
)
const PYECHO = fileURLToPath(new URL('../../../hosts/python/examples/pyecho.py', import.meta.url))
const skip =
  PYTHON === undefined && process.env.PLEXUS_REQUIRE_SERVICES !== '1'
    ? 'python3 is not installed (apt-get install python3)'
    : false

/** The Python host (standard library only, hosts/python) serving `pyecho` to the kernel. */
function pyecho(connect: string): ChildProcess {
  if (PYTHON === undefined) throw new Error('python3 is required (PLEXUS_REQUIRE_SERVICES=1)')
  return spawn(PYTHON, [PYECHO, '--connect', connect, '--token', TOKEN, '--log-level', 'error'], {
    stdio: 'ignore',
  })
}

describe('a Python service host (standard library only) over remote TCP', { skip }, () => {
  let kernel: Kernel<any>
  let tcp: string
  let host: ChildProcess
  before(async () => {
    ;({ kernel, tcp } = await listeningKernel({}, { pingInterval: 200 }))
    host = pyecho(tcp)
    await routable(kernel, 'pyecho.echo')
  })
  after(async () => {
    host.kill('SIGKILL')
    await exited(host)
    await kernel.stop()
  })

  it('attaches its service from HELLO and answers calls, JSON round trip intact', async () => {
    const value = { a: [1, 2, { b: 'ü' }], n: null, t: true }
    assert.deepEqual(await kernel.call('pyecho.echo', value), value)
    const status = kernel.services().find((s) => s.name === 'pyecho')!
    assert.equal(status.instances[0]!.placement, 'remote')
    assert.equal(status.instances[0]!.local, false)
  })

  it('maps a Python exception to HANDLER and keeps a raised PlexusError code and data', async () => {
    const plain = await rejectionOf(kernel.call('pyecho.fail', { message: 'boom' }))
    assert.equal(plain.code, 'HANDLER')
    assert.match(plain.message, /boom/)
    const typed = await rejectionOf(
      kernel.call('pyecho.fail', { code: 'FORBIDDEN', message: 'not you', data: { who: 'x' } }),
    )
    assert.equal(typed.code, 'FORBIDDEN')
    assert.deepEqual(typed.data, { who: 'x' })
  })

  it('carries the remaining budget, caller and meta, and ends a late call with TIMEOUT', async () => {
    const seen = (await kernel.call('pyecho.budget', undefined, {
      deadline: 2000,
      meta: { tenant: 'acme' },
    })) as { remainingMs: number; meta: { tenant: string } }
    assert.ok(seen.remainingMs > 1000 && seen.remainingMs <= 2050, `budget ${seen.remainingMs}`)
    assert.equal(seen.meta.tenant, 'acme')
    const late = await rejectionOf(kernel.call('pyecho.slow', { ms: 5000 }, { deadline: 150 }))
    assert.equal(late.code, 'TIMEOUT')
  })

  it('cancels a call when the caller aborts: CANCELLED here, and the handler sees it there', async () => {
    const before = (await kernel.call('pyecho.stats')) as {
      slowCancelled: number
      slowStarted: number
    }
    const controller = new AbortController()
    const pending = kernel.call('pyecho.slow', { ms: 5000 }, { signal: controller.signal })
    await until('the slow handler to start', async () =>
      ((await kernel.call('pyecho.stats')) as { slowStarted: number }).slowStarted >
      before.slowStarted
        ? true
        : undefined,
    )
    controller.abort()
    assert.equal((await rejectionOf(pending)).code, 'CANCELLED')
    await until('the handler to see the cancel', async () =>
      ((await kernel.call('pyecho.stats')) as { slowCancelled: number }).slowCancelled >
      before.slowCancelled
        ? true
        : undefined,
    )
  })

  it('delivers events to its subscription and routes its own emits through the kernel', async () => {
    kernel.emit('pyecho.ping.a', { n: 1 })
    await until('the event handled in Python', async () =>
      ((await kernel.call('pyecho.pings')) as { topic: string }[]).some(
        (p) => p.topic === 'pyecho.ping.a',
      )
        ? true
        : undefined,
    )
    kernel.send('pyecho.echo', 'fire and forget')
    assert.equal(await kernel.call('pyecho.echo', 'still up'), 'still up')
  })

  it('streams with credit: every item in order, and a consumer that stops closes the generator', async () => {
    const items: unknown[] = []
    for await (const item of kernel.stream('pyecho.count', { n: 200 })) items.push(item)
    assert.deepEqual(
      items,
      Array.from({ length: 200 }, (_, i) => i),
    )
    const before = (await kernel.call('pyecho.stats')) as {
      countClosed: number
      countItems: number
    }
    let read = 0
    for await (const _ of kernel.stream('pyecho.count', { n: 100_000, delayMs: 2 })) {
      if (++read === 5) break
    }
    await until('the generator closed', async () =>
      ((await kernel.call('pyecho.stats')) as { countClosed: number }).countClosed >
      before.countClosed
        ? true
        : undefined,
    )
    const after = (await kernel.call('pyecho.stats')) as { countItems: number }
    assert.ok(after.countItems - before.countItems <= 5 + 16 + 1, 'the producer kept to its credit')
  })

  it('stays attached while it answers PINGs, and a SIGKILLed host ends its calls UNAVAILABLE at once', async () => {
    const pending = kernel.call('pyecho.slow', { ms: 20_000 }, { deadline: 15_000 })
    await until('the slow handler to start', async () =>
      ((await kernel.call('pyecho.stats')) as { slowStarted: number }).slowStarted > 0
        ? true
        : undefined,
    )
    host.kill('SIGKILL')
    const started = performance.now()
    const error = await rejectionOf(pending)
    assert.equal(error.code, 'UNAVAILABLE')
    assert.equal(error.retryable, true)
    assert.ok(performance.now() - started < 10_000, 'ended by the link, not by its deadline')
    await until('the service detached', () =>
      kernel.describe('pyecho.echo') === undefined ? true : undefined,
    )
    host = pyecho(tcp)
    await routable(kernel, 'pyecho.echo')
    assert.equal(await kernel.call('pyecho.echo', 'back'), 'back')
  })
})

describe('the Python host at the wire level (hosts/python/tools/fake-kernel.ts)', { skip }, () => {
  it('passes every check of the wire-level script: framing, ids, handshake, deadlines, cancel, credit, violations, reconnect', async () => {
    const script = fileURLToPath(
      new URL('../../../hosts/python/tools/fake-kernel.ts', import.meta.url),
    )
    const run = spawn(process.execPath, ['--conditions=plexus-source', '--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Bounded: the script bounds each check at 15 s; the whole run takes ~30 s.
      timeout: 180_000,
    })
    let out = ''
    run.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    run.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve))
    assert.equal(code, 0, out)
    assert.match(out, /\n(\d+) passed, 0 failed\n/)
  })
})
