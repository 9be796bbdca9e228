import { runHost, type HostHandle } from '@plexus/remote'
import { linkConformance } from '../../isolate/test/link-conformance.js'
import echo from '../../isolate/test/fixtures/echo.js'
import { TOKEN, listeningKernel, routable } from './helpers.js'

// The suite every link runs, over a host that dialled in (the TypeScript host, in this process
// but on a real socket), once over TCP and once over WebSocket.
for (const transport of ['tcp', 'ws'] as const) {
  let host: HostHandle | undefined
  linkConformance('remote', {
    async start(other) {
      const { kernel, tcp, ws } = await listeningKernel()
      kernel.add(other)
      host = runHost(echo, {
        connect: transport === 'tcp' ? tcp : ws,
        token: TOKEN,
        name: `echo-${transport}`,
      })
      await routable(kernel, 'echo.add')
      return kernel
    },
    async stop(kernel) {
      await kernel.stop()
      await host?.stop()
    },
    skip: {
      'keeps FIFO order per key with serializeBy while keys interleave':
        'serializeBy is a function of the definition: a kernel that knows a host by its manifest cannot key its mailbox',
    },
  })
}
