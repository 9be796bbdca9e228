import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromNatsKey, natsStore, toNatsKey } from '@plexus/kv'
import { serverSkip, startNatsServer } from '@plexus/testing'
import { kvConformance } from './conformance.js'

kvConformance('NATS KV store', {
  make: async (t) => {
    const nats = await startNatsServer(t)
    return {
      source: { store: natsStore({ servers: nats.url }) },
      again: () => ({ store: natsStore({ servers: nats.url }) }),
    }
  },
  persistent: true,
  shared: true,
  ttl: {
    refusal: /per-key TTL needs nats-server 2\.11 or newer \(this server is 2\.9\.\d+\)/,
    why: 'nats-server 2.9 has bucket TTL only and would store the header and ignore it',
  },
  skip: serverSkip('nats-server', 'nats-server'),
})

describe('NATS KV key escaping', () => {
  const keys = [
    'stock/tea',
    'a b',
    '.lead',
    'trail.',
    'a=b',
    '=2f',
    'thé/☕',
    'x'.repeat(300),
    '*',
    '>',
  ]

  it('writes every key in the characters NATS allows, never starting or ending with a dot', () => {
    for (const key of keys) {
      const escaped = toNatsKey(key)
      assert.match(escaped, /^[-/=.\w]+$/, `'${key}' → '${escaped}'`)
      assert.ok(!escaped.startsWith('.') && !escaped.endsWith('.'), escaped)
    }
    assert.equal(toNatsKey('stock/tea'), 'stock=2ftea')
  })

  it('reads every key back unchanged and keeps prefixes prefixes', () => {
    for (const key of keys) assert.equal(fromNatsKey(toNatsKey(key)), key)
    assert.ok(toNatsKey('thé/☕/1').startsWith(toNatsKey('thé/')))
    assert.notEqual(toNatsKey('a=b'), toNatsKey('a/b'))
  })
})
