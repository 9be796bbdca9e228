import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKernel, defineService, silentLogger } from '@plexus/kernel'
import { gateway } from '@plexus/gateway'
import { send } from './helpers.js'

test('as a kernel plug-in the gateway listens when the kernel starts and closes when it stops', async () => {
  const plugin = gateway({ port: 0, routes: { 'GET /api/ping': 'ping.pong' } })
  const kernel = createKernel({ logger: silentLogger, plugins: [plugin] })
  kernel.add(defineService({ name: 'ping', actions: { pong: () => 'pong' } }))
  assert.equal(plugin.instance, undefined)
  await kernel.start()
  const port = plugin.instance!.server.address() as { port: number }
  const res = await send(`http://127.0.0.1:${port.port}/api/ping`)
  assert.equal(res.json, 'pong')
  await kernel.stop()
  assert.equal(plugin.instance, undefined)
  await assert.rejects(send(`http://127.0.0.1:${port.port}/api/ping`), /ECONNREFUSED/)
})
