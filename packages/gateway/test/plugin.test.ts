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

test('a plug-in failing after the gateway loaded tears the gateway down: its port is free again (PLUGIN_FAILED)', async () => {
  const plugin = gateway({ port: 0, routes: { 'GET /api/ping': 'ping.pong' } })
  let port = 0
  const broken = {
    name: 'broken',
    dependsOn: [plugin.name],
    setup: () => {
      port = (plugin.instance!.server.address() as { port: number }).port
      throw new Error('cannot reach the database')
    },
  }
  const kernel = createKernel({ logger: silentLogger, plugins: [plugin, broken] })
  await assert.rejects(kernel.start(), { code: 'PLUGIN_FAILED' })
  assert.ok(port > 0, 'the gateway had been listening')
  assert.equal(plugin.instance, undefined)
  await assert.rejects(send(`http://127.0.0.1:${port}/api/ping`), /ECONNREFUSED/)
})
