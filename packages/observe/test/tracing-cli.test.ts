// Tracing turned on by config, as a user turns it on: `plexus start` with a `tracing` section
// exports spans over OTLP/HTTP to a receiver, joined to the trace of an incoming request.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { startPlexus, until, userEnv } from '@plexus/testing'
import { KIND, startOtlpReceiver } from './otlp-receiver.js'

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736'

describe('tracing from the CLI config', { timeout: 120_000 }, () => {
  it("exports the spans of a request to the configured OTLP/HTTP URL under the app's name", async (t) => {
    const receiver = await startOtlpReceiver()
    t.after(() => receiver.close())
    const dir = await mkdtemp(join(tmpdir(), 'plexus-tracing-'))
    await writeFile(
      join(dir, 'greeter.ts'),
      `export default { name: 'greeter', actions: { hi: (ctx, { name }) => 'hi ' + name } }\n`,
    )
    await writeFile(
      join(dir, 'plexus.config.json'),
      JSON.stringify({
        name: 'traced-app',
        tracing: { url: receiver.url },
        gateway: { port: 0, routes: { 'POST /hi': 'greeter.hi' } },
        services: { greeter: { module: './greeter.ts' } },
      }),
    )
    const app = startPlexus(['start', '--json'], { cwd: dir, env: userEnv() })
    t.after(async () => {
      await app.stop() // SIGTERM: the launcher passes it on to the kernel
      await rm(dir, { recursive: true, force: true })
    })
    const runFile = join(dir, '.plexus', 'admin.json')
    await until('the run file', () => (existsSync(runFile) ? true : undefined), {
      ms: 60_000,
      context: () => app.output(),
    })
    const { gateway } = JSON.parse(readFileSync(runFile, 'utf8')) as { gateway: string }
    const response = await fetch(`${gateway}/hi`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE}-a3ce929d0e0e4736-01`,
      },
      body: JSON.stringify({ name: 'ada' }),
    })
    assert.equal(await response.json(), 'hi ada')
    const spans = await until(
      'the two spans at the receiver',
      () => (receiver.spans.length >= 2 ? receiver.spans : undefined),
      { ms: 30_000, context: () => app.output() },
    )
    assert.deepEqual(
      spans.map((s) => [s.name, s.kind, s.traceId]).sort(),
      [
        ['greeter.hi', KIND.SERVER, TRACE],
        ['greeter.hi', KIND.CLIENT, TRACE],
      ].sort(),
    )
    assert.equal(spans.find((s) => s.kind === KIND.CLIENT)?.parentSpanId, 'a3ce929d0e0e4736')
    assert.equal(receiver.resources.at(-1)?.['service.name'], 'traced-app')
    app.child.kill('SIGTERM')
    assert.equal(await app.exited, 0)
  })
})
