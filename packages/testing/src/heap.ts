import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | undefined

/** Heap in use after three full collections, for leak checks (exposes `gc` on first use). */
export function heapAfterGc(): number {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}
