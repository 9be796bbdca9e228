import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The `plexus` launcher of packages/cli, as `npx plexus` runs it. */
export const PLEXUS_BIN = fileURLToPath(new URL('../../cli/bin/plexus.js', import.meta.url))

/**
 * The environment of a user's shell: without the test runner's NODE_OPTIONS (tsx, source
 * conditions), without colour, plus `extra`.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _omit, ...env } = process.env
  return { ...env, NO_COLOR: '1', ...extra }
}

/** What one plexus command printed, and its exit code. */
export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Where and how a plexus command runs. */
export interface PlexusOptions {
  cwd: string
  /** Default: `userEnv()`. */
  env?: NodeJS.ProcessEnv
}

/** Runs `plexus <args>` to its end (killed after 20 s), as a user runs it from a shell. */
export function runPlexus(args: string[], options: PlexusOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PLEXUS_BIN, ...args],
      { cwd: options.cwd, env: options.env ?? userEnv(), timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** A long-running `plexus start` or `plexus dev` in the background. */
export interface RunningPlexus {
  readonly child: ChildProcess
  /** Everything it printed so far (empty when started with `quiet`). */
  output(): string
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>
  /** Sends `signal` (default SIGTERM), SIGKILL after `ms` (default 10 s); resolves on exit. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<void>
}

/**
 * Starts `plexus <args>` in the background. With `quiet`, its output is not piped at all, so
 * nothing of the child's can keep the test runner alive.
 */
export function startPlexus(
  args: string[],
  options: PlexusOptions & { quiet?: boolean },
): RunningPlexus {
  const child = spawn(process.execPath, [PLEXUS_BIN, ...args], {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    stdio: options.quiet === true ? 'ignore' : 'pipe',
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', ms = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      await exited
      clearTimeout(timer)
    },
  }
}
