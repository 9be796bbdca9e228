import type { ServiceStatus } from '@plexus/kernel'
import type { Colors } from './color.js'
import { table } from './table.js'

/** What `GET /services` answers. */
export interface ServicesAnswer {
  services: ServiceStatus[]
  name?: string
  gateway?: string
}

const stateColor = (state: string, c: Colors): ((s: string) => string) =>
  state === 'running' ? c.green : state === 'failed' || state === 'crashed' ? c.red : c.yellow

/** `plexus services`: one line per service version. */
export function renderServices(answer: ServicesAnswer, c: Colors): string {
  const header = [
    'SERVICE',
    'VERSION',
    'STATE',
    'PLACEMENT',
    'INSTANCES',
    'RESTARTS',
    'ACTIONS',
    'NODES',
  ]
  const rows = answer.services.map((s) => {
    const placements = [...new Set(s.instances.map((i) => i.placement))].join(',')
    const up = s.instances.filter((i) => i.state === 'running').length
    return [
      s.name,
      String(s.version) + (s.current ? '' : ' (old)'),
      s.state,
      placements,
      `${up}/${s.instances.length}`,
      String(s.instances.reduce((n, i) => n + i.restarts, 0)),
      [...s.actions, ...s.streams.map((x) => `${x}~`)].join(' '),
      [...new Set(s.instances.map((i) => i.node))].join(','),
    ]
  })
  const states = answer.services.map((s) => s.state)
  return table(
    header,
    rows,
    (cell, col, row) =>
      col === 2 ? stateColor(states[row] ?? '', c)(cell) : col === 0 ? c.bold(cell) : cell,
    c.dim,
  )
}

/** `plexus top`: one line per instance with its live figures. */
export function renderTop(answer: ServicesAnswer, c: Colors, now = new Date()): string {
  const header = [
    'INSTANCE',
    'PLACEMENT',
    'STATE',
    'REQ/S',
    'P50 ms',
    'P99 ms',
    'IN FLIGHT',
    'HANDLED',
    'ERRORS',
    'RESTARTS',
    'REFUSED',
    'NODE',
  ]
  const rows: string[][] = []
  const states: string[] = []
  const errors: number[] = []
  for (const s of answer.services) {
    for (const i of s.instances) {
      rows.push([
        // The id is qualified by its node (`node/service@v#n`); the node has its own column.
        i.id.startsWith(`${i.node}/`) ? i.id.slice(i.node.length + 1) : i.id,
        i.placement,
        i.state,
        String(i.rate),
        ms(i.p50),
        ms(i.p99),
        String(i.inFlight),
        String(i.count),
        String(i.errors),
        String(i.restarts),
        String(i.refused),
        i.node,
      ])
      states.push(i.state)
      errors.push(i.errors)
    }
  }
  const title = `${c.bold(answer.name ?? 'plexus')} — ${rows.length} instances — ${now.toTimeString().slice(0, 8)}`
  const body = table(
    header,
    rows,
    (cell, col, row) => {
      if (col === 2) return stateColor(states[row] ?? '', c)(cell)
      if (col === 8 && (errors[row] ?? 0) > 0) return c.red(cell)
      if (col === 0) return c.bold(cell)
      return cell
    },
    c.dim,
  )
  return `${title}\n\n${body}\n`
}

function ms(value: number): string {
  return value === 0 ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(0)
}
