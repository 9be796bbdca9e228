/**
 * Pins a measurement to the machine's cores so run-to-run figures stop moving with the
 * scheduler: this process's main thread on CPU 0, each peer process it started (a guest, a
 * host, a raw-socket or Moleculer server) with all its threads on CPU 1. With both ends free to
 * share one core, a two-process c100 run flips between "overlapped" and "lock-step" (the
 * per-run range of the child-process link was 0.30–0.84× its floor on a quiet 2-core machine).
 * Worker threads stay free (they share this process). A no-op where `taskset` or a second core
 * is missing; the report says which it was.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

/** Whether pinning is possible here. */
export function canPin(): boolean {
  if (process.env.PLEXUS_BENCH_PIN === '0' || availableParallelism() < 2) return false
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Pins this process's main thread to CPU 0 and its child processes to CPU 1; answers how many. */
export function pinPeers(): number {
  if (!canPin()) return 0
  execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' })
  let children: number[] = []
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], {
      encoding: 'utf8',
    })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((p) => Number.isInteger(p) && p > 0)
  } catch {
    // No child processes: ps exits 1.
  }
  let pinned = 0
  for (const pid of children) {
    try {
      execFileSync('taskset', ['-apc', '1', String(pid)], { stdio: 'ignore' })
      pinned++
    } catch {
      // It exited meanwhile (ps itself, a short-lived helper).
    }
  }
  return pinned
}
