import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, it } from 'node:test'
import { defineService, silentLogger, type Logger, type PlexusError } from '@plexus/kernel'
import { remote, runHost, type HostHandle } from '@plexus/remote'
import { until } from '@plexus/testing'
import { TOKEN, listeningKernel, routable } from './helpers.js'

const echo = defineService({ name: 'echo', actions: { say: (_ctx, text: string) => text } })
const other = defineService({ name: 'other', actions: { say: (_ctx, text: string) => text } })

/** A logger that keeps why the kernel refused the host (the host logs it as an error). */
function refusals(): { logger: Logger; codes: string[]; reasons: string[] } {
  const codes: string[] = []
  const reasons: string[] = []
  const logger: Logger = {
    ...silentLogger,
    error: (fields) => {
      const err = (fields as { err?: PlexusError }).err
      if (err?.code !== undefined) {
        codes.push(err.code)
        reasons.push(String((err.data as { reason?: unknown } | undefined)?.reason))
      }
    },
    child: () => logger,
  }
  return { logger, codes, reasons }
}

describe('hosts prove their identity in HELLO', () => {
  const trusted = generateKeyPairSync('ed25519')
  const limited = generateKeyPairSync('ed25519')
  const stranger = generateKeyPairSync('ed25519')
  const trustedHosts = [{ key: trusted.publicKey }, { key: limited.publicKey, services: ['other'] }]

  it('attaches a host that signs the kernel’s challenge with a trusted key, over TCP and WebSocket', async () => {
    const { kernel, tcp, ws } = await listeningKernel({}, { trustedHosts })
    const hosts: HostHandle[] = [
      runHost(echo, {
        connect: tcp,
        token: TOKEN,
        identity: trusted.privateKey,
        logger: silentLogger,
      }),
      runHost(other, {
        connect: ws,
        token: TOKEN,
        identity: limited.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        logger: silentLogger,
      }),
    ]
    await routable(kernel, 'echo.say')
    await routable(kernel, 'other.say')
    assert.equal(await kernel.call('echo.say', 'signed'), 'signed')
    assert.equal(await kernel.call('other.say', 'over ws'), 'over ws')
    for (const host of hosts) await host.stop()
    await kernel.stop()
  })

  it('refuses a host with no proof, an untrusted key, or a key not allowed its service — nothing attached', async () => {
    const { kernel, plugin, tcp, ws } = await listeningKernel(
      {},
      { trustedHosts, helloTimeout: 500 },
    )
    const cases = [
      { key: undefined, connect: tcp, want: ['UNAUTHORIZED', 'missing-proof'], def: echo },
      { key: stranger.privateKey, connect: tcp, want: ['UNAUTHORIZED', 'unknown-key'], def: echo },
      { key: stranger.privateKey, connect: ws, want: ['UNAUTHORIZED', 'unknown-key'], def: echo },
      {
        key: limited.privateKey,
        connect: tcp,
        want: ['FORBIDDEN', 'service-not-allowed'],
        def: echo,
      },
    ]
    for (const c of cases) {
      const seen = refusals()
      const host = runHost(c.def, {
        connect: c.connect,
        token: TOKEN,
        ...(c.key === undefined ? {} : { identity: c.key }),
        logger: seen.logger,
        reconnect: { min: 60_000, max: 60_000 },
      })
      await until(`the kernel's refusal (${c.want.join(' ')})`, () =>
        seen.codes.length > 0 ? true : undefined,
      )
      assert.deepEqual([seen.codes[0], seen.reasons[0]], c.want)
      assert.equal(kernel.describe('echo.say'), undefined)
      await host.stop()
    }
    await until('no link left', () => (plugin.links === 0 ? true : undefined))
    await kernel.stop()
  })

  it('refuses trustedHosts that are not Ed25519 public keys (INVALID_CONFIG)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    for (const trustedHosts of [[], [{ key: rsa.publicKey }], [{ key: 'nope' }]]) {
      assert.throws(
        () => remote({ tcp: 'tcp://127.0.0.1:0', token: TOKEN, trustedHosts }),
        (e: PlexusError) => e.code === 'INVALID_CONFIG',
      )
    }
  })
})
