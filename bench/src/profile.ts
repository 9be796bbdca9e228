/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, counted only
 * for samples taken inside the load loop (a frame from measure.ts on the stack), so start-up and
 * module loading do not dilute the picture. GC time is reported beside it.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** One line of the summary. */
export interface ProfileEntry {
  fn: string
  where: string
  self_ms: number
  self_pct: number
}

/** What the doc shows. */
export interface ProfileSummary {
  /** Milliseconds sampled inside the load loop. */
  loop_ms: number
  /** Milliseconds in the garbage collector over the whole profile. */
  gc_ms: number
  /** Milliseconds of the whole profile. */
  total_ms: number
  top: ProfileEntry[]
  /** Self time grouped by file. */
  files: Array<{ where: string; self_ms: number; self_pct: number }>
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function place(url: string): string {
  if (!url) return '(native)'
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const inModules = path.lastIndexOf('node_modules/')
  if (inModules !== -1) return path.slice(inModules + 'node_modules/'.length)
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path
}

/** Reads and summarises one profile; `top` entries are kept. */
export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inLoop = new Map<number, boolean>()
  const loop = (id: number): boolean => {
    const known = inLoop.get(id)
    if (known !== undefined) return known
    const node = byId.get(id)
    const up = parent.get(id)
    const value =
      node?.callFrame.url.endsWith('/measure.ts') === true || (up !== undefined && loop(up))
    inLoop.set(id, value)
    return value
  }
  const self = new Map<string, number>()
  const files = new Map<string, number>()
  let loopUs = 0
  let gcUs = 0
  let totalUs = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0
    totalUs += dt
    const node = byId.get(id)
    if (!node) return
    if (node.callFrame.functionName === '(garbage collector)') gcUs += dt
    if (!loop(id)) return
    loopUs += dt
    const where = place(node.callFrame.url)
    const key = `${node.callFrame.functionName || '(anonymous)'}\u0000${where}:${node.callFrame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
    files.set(where, (files.get(where) ?? 0) + dt)
  })
  const pct = (us: number) => Math.round((1000 * us) / Math.max(loopUs, 1)) / 10
  const ms = (us: number) => Math.round(us / 100) / 10
  return {
    loop_ms: ms(loopUs),
    gc_ms: ms(gcUs),
    total_ms: ms(totalUs),
    top: [...self.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([key, us]) => {
        const [fn = '', where = ''] = key.split('\u0000')
        return { fn, where, self_ms: ms(us), self_pct: pct(us) }
      }),
    files: [...files.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 10)
      .map(([where, us]) => ({ where, self_ms: ms(us), self_pct: pct(us) })),
  }
}
