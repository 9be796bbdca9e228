import { linkConformance } from './link-conformance.js'
import echo from './fixtures/echo.js'
import { fixture, isolatedKernel } from './helpers.js'

// The same behaviour over every link: callers cannot tell the placement except by speed.
for (const placement of ['inline', 'worker', 'process']) {
  linkConformance(placement, {
    async start(other) {
      const kernel = isolatedKernel()
      kernel.add(other)
      kernel.add(echo, placement === 'inline' ? {} : { placement, module: fixture('echo') })
      await kernel.start()
      return kernel
    },
    stop: (kernel) => kernel.stop(),
  })
}
