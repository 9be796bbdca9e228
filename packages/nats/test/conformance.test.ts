import type { TestContext } from 'node:test'
import { createKernel, silentLogger, type Kernel } from '@plexus/kernel'
import { nats } from '@plexus/nats'
import { startNatsServer } from '@plexus/testing'
import { linkConformance } from '../../isolate/test/link-conformance.js'
import echo from '../../isolate/test/fixtures/echo.js'
import { routedTo, skip } from './helpers.js'

// The suite every link runs, over a node link: the suite's kernel is node `a`; `echo` runs on
// node `b`, another kernel in this process, reached over a real nats-server.
if (skip === false) {
  const cleanups: (() => unknown)[] = []
  // The suite starts in `before`, which has no test context: collect the server's teardown.
  const suite = { after: (fn: () => unknown) => void cleanups.push(fn) } as unknown as TestContext
  let peer: Kernel<any> | undefined
  linkConformance('node', {
    async start(other) {
      const server = await startNatsServer(suite)
      const options = { servers: server.url, namespace: 'conformance' }
      peer = createKernel({ node: 'b', logger: silentLogger, plugins: [nats(options)] })
      peer.add(echo)
      await peer.start()
      const kernel = createKernel({ node: 'a', logger: silentLogger, plugins: [nats(options)] })
      kernel.add(other)
      await kernel.start()
      await routedTo(kernel, 'echo', 'b')
      await routedTo(peer, other.name, 'a')
      return kernel
    },
    async stop(kernel) {
      await kernel.stop()
      await peer?.stop()
      for (const cleanup of cleanups.reverse()) await cleanup()
    },
    skip: {
      'delivers events to the service and its emits to subscribers':
        "kernel.dispatch takes no caller: an event handed on by a node link reaches the handler with ctx.caller undefined (the emitter's name is sent, the kernel has no way to take it)",
    },
  })
}
