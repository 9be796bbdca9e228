import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, type Msg } from '@nats-io/transport-node'
import { createKernel, defineService, silentLogger, type PlexusError } from '@plexus/kernel'
import { decodeLinkMessage, nats } from '@plexus/nats'
import { rejectionOf, until } from '@plexus/testing'
import { clusterNode, linkMessage, routedTo, stopKernelsFirst } from './helpers.js'
import { secureNats, secureSkip } from './secure-server.js'

const NS = 'test'

test(
  'nodes connect as their own NATS users over TLS, and a node cannot publish on another node’s link subject',
  { skip: secureSkip },
  async (t) => {
    stopKernelsFirst(t)
    const server = await secureNats(t, NS, ['a', 'b', 'c'])
    const work = defineService({ name: 'work', actions: { echo: (_ctx, n: unknown) => n } })
    const a = await clusterNode(t, server.url, 'a', [], server.credentials('a'))
    await clusterNode(t, server.url, 'b', [work], server.credentials('b'))
    await routedTo(a.kernel, 'work', 'b')
    assert.equal(await a.kernel.call('work.echo', 7), 7)

    // What reaches b's link subjects, read with the intruder's (broad) read permission.
    const seen: Msg[] = []
    const observer = await connect({ servers: server.url, ...server.credentials('intruder') })
    t.after(() => observer.close())
    observer.subscribe(`plexus.${NS}.link.b.*`, {
      callback: (_e, msg) => {
        if (decodeLinkMessage(msg.data)?.from.startsWith('probe')) seen.push(msg)
      },
    })
    await observer.flush()
    // Node a's own credentials: it may speak on its own link subjects only.
    const asA = await connect({ servers: server.url, ...server.credentials('a') })
    t.after(() => asA.close())
    const send = (subject: string, tag: string) => {
      asA.publish(subject, linkMessage({ from: `probe-${tag}`, seq: 1 }, new Uint8Array([1, 1])))
    }
    send(`plexus.${NS}.link.b.c`, 'as-c') // impersonating c: refused by the server
    send(`plexus.${NS}.link.b.a`, 'as-a') // its own subject: delivered (the fence)
    await asA.flush()
    await until('the fence delivered', () =>
      seen.some((m) => decodeLinkMessage(m.data)?.from === 'probe-as-a') ? true : undefined,
    )
    assert.deepEqual(
      seen.map((m) => m.subject),
      [`plexus.${NS}.link.b.a`],
    )

    // No client certificate, or a wrong password: no connection at all.
    const { tls, user } = server.credentials('a')
    const noCert = await rejectionOf(
      connect({ servers: server.url, user, pass: 'pw-a', tls: { ca: tls.ca }, reconnect: false }),
    )
    assert.ok(noCert !== undefined, 'a client without a certificate was refused')
    const badPass = await rejectionOf(
      connect({ servers: server.url, user, pass: 'wrong', tls, reconnect: false }),
    )
    assert.match(String((badPass as Error).message), /authorization/i)
    // The plug-in fails its start with UNAVAILABLE when the server refuses its credentials.
    const refused = createKernel({
      node: 'c',
      logger: silentLogger,
      plugins: [nats({ servers: server.url, namespace: NS, user: 'c', pass: 'wrong', tls })],
    })
    const startError = (await rejectionOf(refused.start())) as PlexusError
    assert.equal(startError.code, 'UNAVAILABLE')
  },
)

test('the plug-in checks its credential and key options (INVALID_CONFIG naming the key)', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ user: 'a' }, 'nats.pass'],
    [{ pass: 'x' }, 'nats.user'],
    [{ user: 'a', pass: 'x', token: 't' }, 'nats.token'],
    [{ tls: { ca: 'not a pem' } }, 'nats.tls.ca'],
    [{ tls: { cert: '-----BEGIN CERTIFICATE-----' } }, 'nats.tls.cert'],
    [{ identity: 'x' }, 'nats.trustedKeys'],
    [{ identity: 'not a key', trustedKeys: [] }, 'nats.identity'],
  ]
  for (const [options, key] of cases) {
    assert.throws(
      () => nats({ servers: 'nats://127.0.0.1:4222', ...options }),
      (e: PlexusError) => e.code === 'INVALID_CONFIG' && (e.data as { key: string }).key === key,
      `${JSON.stringify(options)} -> ${key}`,
    )
  }
})
