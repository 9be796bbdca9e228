import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { startLocalServer } from '@plexus/testing'
import { skip as natsSkip } from './helpers.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0

/** Why the secured-NATS tests skip (nats-server or openssl absent), or false. */
export const secureSkip =
  natsSkip ||
  (!hasOpenssl && process.env.PLEXUS_REQUIRE_SERVICES !== '1'
    ? 'openssl is not installed (apt-get install openssl)'
    : false)

/** A NATS user of the test server: its credentials and TLS client options for the plug-in. */
export interface Credentials {
  user: string
  pass: string
  tls: { ca: string; cert: string; key: string }
}

/** A private nats-server with TLS (client certificates verified) and one user per node. */
export interface SecureNats {
  readonly url: string
  /** The plug-in options (user, pass, tls) of node `name`, or of the `intruder` user. */
  credentials(name: string): Credentials
}

/** An Ed25519 key pair for a node identity. */
export function nodeKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519')
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl. */
function certificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=plexus-test-ca',
  ])
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), ext)
    openssl(dir, [
      'req',
      ...ec,
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=plexus-${name}`,
    ])
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ])
  }
}

/**
 * Each node may publish only on its own link subjects (`plexus.<ns>.link.*.<self>`), its own
 * registry key, probes and replies; it subscribes only to links towards it. The `intruder` has
 * valid credentials and may publish and read every link subject of the namespace — but no
 * kernel identity.
 */
function permissions(ns: string, node: string): string {
  const publish = [
    `plexus.${ns}.link.*.${node}`,
    `plexus.${ns}.ping.*`,
    `$KV.plexus_${ns}_nodes.${node}`,
    '$JS.API.>',
    '$JS.FC.>',
    '$JS.ACK.>',
    '_INBOX.>',
  ]
  const subscribe = [`plexus.${ns}.link.${node}.*`, `plexus.${ns}.ping.${node}`, '_INBOX.>']
  return `{ publish: { allow: ${JSON.stringify(publish)} }, subscribe: { allow: ${JSON.stringify(subscribe)} } }`
}

/** Starts the server for namespace `ns` with users `nodes` (password `pw-<name>`) and `intruder`. */
export async function secureNats(t: TestContext, ns: string, nodes: string[]): Promise<SecureNats> {
  let tlsDir = ''
  const server = await startLocalServer(t, 'nats-server', (port, dir) => {
    if (tlsDir === '') certificates(dir)
    tlsDir = dir
    const users = nodes.map(
      (n) => `    { user: "${n}", password: "pw-${n}", permissions: ${permissions(ns, n)} }`,
    )
    users.push(
      `    { user: "intruder", password: "pw-intruder", permissions: { publish: { allow: ["plexus.${ns}.link.>", "_INBOX.>"] }, subscribe: { allow: ["plexus.${ns}.link.>", "_INBOX.>"] } } }`,
    )
    const conf = [
      `listen: 127.0.0.1:${port}`,
      `jetstream { store_dir: "${join(dir, 'js')}" }`,
      `tls { cert_file: "${join(dir, 'server.pem')}", key_file: "${join(dir, 'server-key.pem')}", ca_file: "${join(dir, 'ca.pem')}", verify: true, timeout: 5 }`,
      'authorization {',
      '  users: [',
      users.join(',\n'),
      '  ]',
      '}',
    ].join('\n')
    writeFileSync(join(dir, 'nats.conf'), conf)
    return ['-c', join(dir, 'nats.conf')]
  })
  const read = (file: string) => readFileSync(join(tlsDir, file), 'utf8')
  const tls = { ca: read('ca.pem'), cert: read('client.pem'), key: read('client-key.pem') }
  return {
    url: `nats://127.0.0.1:${server.port}`,
    credentials: (name) => ({ user: name, pass: `pw-${name}`, tls }),
  }
}
