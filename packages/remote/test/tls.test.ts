import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createKernel, defineService, silentLogger } from '@plexus/kernel'
import { remote, runHost } from '@plexus/remote'
import { rejectionOf, until } from '@plexus/testing'
import { TOKEN, routable } from './helpers.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0
const skip =
  !hasOpenssl && process.env.PLEXUS_REQUIRE_SERVICES !== '1'
    ? 'openssl is not installed (apt-get install openssl)'
    : false

const echo = defineService({ name: 'echo', actions: { say: (_ctx, text: string) => text } })

describe('a remote link over TLS', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-tls-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('serves a host that trusts the kernel certificate, and never one that does not', async () => {
    // A self-signed certificate for 127.0.0.1, made for this test.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=plexus-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const key = readFileSync(join(dir, 'key.pem'))
    const cert = readFileSync(join(dir, 'cert.pem'))
    const plugin = remote({ tcp: 'tls://127.0.0.1:0', token: TOKEN, tls: { key, cert } })
    const kernel = createKernel({ logger: silentLogger, plugins: [plugin] })
    await kernel.start()
    const url = plugin.addresses.tcp!
    assert.match(url, /^tls:\/\/127\.0\.0\.1:\d+$/)

    const untrusting = runHost(echo, {
      connect: url,
      token: TOKEN,
      name: 'no-ca',
      logger: silentLogger,
    })
    const trusting = runHost(echo, {
      connect: url,
      token: TOKEN,
      name: 'ca',
      tls: { ca: cert },
      logger: silentLogger,
    })
    await routable(kernel, 'echo.say')
    assert.equal(await kernel.call('echo.say', 'over tls'), 'over tls')
    assert.equal(plugin.links, 1, 'one link: the untrusting host never got past its TLS handshake')
    await trusting.stop()
    await until('the trusting host detached', () =>
      kernel.describe('echo.say') === undefined ? true : undefined,
    )
    // Only the untrusting host is left, dialling and failing its handshake: nothing serves.
    assert.ok(untrusting.connections === 0, 'it never got a link to serve on')
    assert.equal(plugin.links, 0)
    const none = await rejectionOf(kernel.call('echo.say', 'x'))
    assert.equal(none.code, 'NOT_FOUND')
    await untrusting.stop()
    await kernel.stop()
  })
})
