/** The in-process call with @plexus/observe's metrics on, and with tracing on, against neither. */
import { defineScenario } from '../scenario.js'
import { ADD_PAYLOAD, add } from '../fixtures/payload.js'
import { observedKernel } from '../fixtures/plexus-observed.js'

export default defineScenario({
  kind: 'requests',
  name: 'call-observe',
  title: 'in-process call, metrics / tracing on',
  requests: 1_000_000,
  notes:
    'plexus: the plain kernel (as in `call`). plexus-metrics: the same with `metrics({ port: 0 })` from @plexus/observe (prom-client registry, default process metrics, scraped once before the load): its series are read from the kernel at scrape time, so the call path should pay nothing. plexus-tracing: `tracing()` with an OpenTelemetry `BasicTracerProvider` (always-on sampling, a `BatchSpanProcessor` whose exporter drops the batches): one span per call.',
  impls: {
    floor: async () => ({ op: () => add(ADD_PAYLOAD) }),
    plexus: async () => observedKernel('off'),
    'plexus-metrics': async () => observedKernel('metrics'),
    'plexus-tracing': async () => observedKernel('tracing'),
  },
})
