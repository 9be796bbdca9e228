/**
 * @plexus/remote: services that dial in to a kernel over TCP (length-prefixed frames, optional
 * TLS) or WebSocket (frames in binary messages), from the TypeScript host or any host written
 * from docs/protocol.md (hosts/python).
 *
 * @example
 * import { createKernel } from '@plexus/kernel'
 * import { remote } from '@plexus/remote'
 * const kernel = createKernel({ plugins: [remote({ tcp: 'tcp://127.0.0.1:7070', token: process.env.PLEXUS_REMOTE_TOKEN! })] })
 * await kernel.start() // then: plexus host ./services/payments.ts --connect tcp://127.0.0.1:7070
 */

/** The kernel side: listeners and the plug-in. */
export { remote, type RemoteOptions, type RemotePlugin } from './remote-plugin.js'
/** How a host's JWT is checked, and the claim naming what it may serve. */
export { SERVICES_CLAIM, type HostTokenVerifier } from './host-link.js'
/** The host side: serve a definition to a kernel, reconnecting. */
export { runHost, type HostHandle, type HostOptions } from './host-runner.js'
/** Listener and dial addresses. */
export { parseEndpoint, type Endpoint } from './endpoint.js'
