/** The HTTP edge: one aliased GET to an inline JSON action, behind each server, driven by autocannon. */
import { defineScenario } from '../scenario.js'
import { bareFastify, bareNodeHttp, moleculerWeb, plexusGateway } from '../fixtures/http-servers.js'
import { loadOver } from '../fixtures/http-load.js'

export default defineScenario({
  kind: 'requests',
  name: 'http-get',
  title: 'HTTP GET → inline JSON action',
  requests: 20_000,
  notes:
    'Every side serves `GET /api/add?a=1&b=2` → `{"sum":3}` from an action in the measured process (pinned to one core); autocannon runs in a plain-node peer process pinned to the other core, `c` keep-alive connections with one request in flight each; rps and p50/p99 (autocannon, millisecond resolution) come from the same pass. Floors: bare `node:http` (query parsed by `node:querystring`), bare fastify (one route returning the object), and the same fastify route also writing the seven headers the Plexus gateway adds (`floor-fastify-headers`: its six security headers and a UUID-long `x-request-id`), which separates what those headers cost any server from the gateway\'s own machinery. Moleculer: moleculer-web `ApiGateway` aliasing `GET add` to a local action, logging off. Plexus: `createGateway` on its defaults (security headers, request id, health probes and the WebSocket endpoint on) routing `GET /api/add` to an inline `math.sum`; `plexus-plain` is the same gateway with `securityHeaders: false` (its six security headers are what it writes beyond fastify\'s answer, besides `x-request-id`).',
  impls: {
    floor: async () => loadOver(await bareNodeHttp(), 'http'),
    'floor-fastify': async () => loadOver(await bareFastify(), 'http'),
    'floor-fastify-headers': async () => loadOver(await bareFastify(true), 'http'),
    moleculer: async () => loadOver(await moleculerWeb(), 'http'),
    plexus: async () => loadOver(await plexusGateway(), 'http'),
    'plexus-plain': async () => loadOver(await plexusGateway(false, false), 'http'),
  },
})
