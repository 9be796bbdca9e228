import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { until } from '@plexus/testing'

/** Takes a fixture process's output, one line at a time. */
export interface LineSink {
  line(text: string): void
}

/**
 * Starts a fixture (`node file ...args`), hands each line of its stdout to `sink`, and resolves
 * once it printed `ready` (bounded; its stderr in the error). It is SIGKILLed when the test ends.
 */
export function startProcess(
  t: TestContext,
  file: string,
  args: string[],
  sink: LineSink,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => void child.kill('SIGKILL'))
  let rest = ''
  let errors = ''
  let ready = false
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n')
    rest = lines.pop()!
    for (const line of lines) {
      if (line === 'ready') ready = true
      else sink.line(line)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()))
  return until(`${file} to be ready`, () => (ready ? child : undefined), {
    ms: 30_000,
    context: () => errors,
  })
}

/** SIGKILLs a fixture process and waits for its exit. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}
