import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Socket } from 'node:net'
import type { GuestExit, Spawn } from './guest-handle.js'
import { entryUrl, isTypeScript, tsxLoader } from './guest-loader.js'

const TAIL = 4096
const OOM = /heap out of memory|Reached heap limit/

/** Starts a guest in a child process linked by a socket pair on fd 3. */
export const spawnProcess: Spawn = (spec, events) => {
  const entry = entryUrl('process-guest')
  // Test-runner and inspector flags belong to the parent (a second inspector would clash on its port).
  const inherited = process.execArgv.filter(
    (arg) => !arg.startsWith('--test') && !arg.startsWith('--inspect'),
  )
  const hasTsx = [...inherited, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('tsx'))
  const args = [...inherited]
  if (!hasTsx && (isTypeScript(entry.href) || isTypeScript(spec.module))) {
    const loader = tsxLoader()
    if (loader !== undefined) args.push('--import', loader)
  }
  if (spec.maxOldGenerationSizeMb !== undefined)
    args.push(`--max-old-space-size=${spec.maxOldGenerationSizeMb}`)
  args.push(fileURLToPath(entry))
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'pipe', 'pipe'],
    env: { ...process.env, PLEXUS_GUEST_MODULE: spec.module, PLEXUS_GUEST_ID: spec.id },
  })
  const socket = child.stdio[3] as Socket
  let tail = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk)
    tail = (tail + chunk.toString('utf8')).slice(-TAIL)
  })
  socket.on('data', (chunk: Buffer) => events.data(chunk))
  socket.on('error', () => {})
  let spawnError: Error | undefined
  child.on('error', (error) => (spawnError = error))
  child.on('close', (code, signal) => {
    const exit: GuestExit = {
      reason: OOM.test(tail)
        ? 'ERR_CHILD_OUT_OF_MEMORY'
        : signal !== null
          ? signal
          : spawnError !== undefined
            ? 'spawn'
            : `exit ${code}`,
    }
    if (spawnError !== undefined) exit.error = spawnError
    else if (code !== 0 && tail.trim() !== '') exit.error = new Error(lastLines(tail))
    events.exit(exit)
  })
  return {
    pid: child.pid,
    threadId: undefined,
    write: (chunk) => {
      if (!socket.destroyed) socket.write(chunk)
    },
    close: () => socket.end(),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join('\n')
}
