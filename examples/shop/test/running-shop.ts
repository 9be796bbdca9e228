// The shop started as a user starts it (`plexus start` in a child process), and a client of its
// HTTP gateway: what the cart and shared-stock tests drive it with. The shop runs with auth on,
// so the client carries a dev token printed by `plexus token`, as the README tour gets one.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runPlexus, startPlexus, until, userEnv, type RunningPlexus } from '@plexus/testing'

const config = fileURLToPath(new URL('../plexus.config.ts', import.meta.url))

/** A line of a cart or an order. */
export interface Line {
  sku: string
  qty: number
}

/** An HTTP answer: status and parsed JSON body (undefined when empty). */
export interface Answer {
  status: number
  body: any
}

/** A running shop and a client of its gateway. */
export interface Shop {
  readonly process: RunningPlexus
  /** The dev token every request of `api` carries. */
  readonly token: string
  /** One request through the gateway. */
  api(method: string, path: string, body?: unknown): Promise<Answer>
  /** A cart's lines (`GET /api/carts/:user`). */
  cart(user: string): Promise<Line[]>
  /** Puts `qty` of `sku` in `user`'s cart. */
  add(user: string, sku: string, qty: number): Promise<Answer>
  /** Stock available for `sku` (`GET /api/stock/:sku`). */
  stock(sku: string): Promise<number>
  /** Sets a kv key with `plexus call kv.set` (stock is not writable through the gateway). */
  setKey(key: string, value: unknown): Promise<void>
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>
}

/**
 * Starts the shop in `dir` with `extra` environment (from `file`, default plexus.config.ts) and
 * waits until it runs.
 */
export async function startShop(
  dir: string,
  extra: Record<string, string>,
  file = config,
): Promise<Shop> {
  const env = userEnv({ PORT: '0', ...extra })
  const child = startPlexus(['start', file, '--json'], { cwd: dir, env })
  const runFile = join(dir, '.plexus', 'admin.json')
  let token: string
  try {
    await until('the shop to start', () => (existsSync(runFile) ? true : undefined), {
      // Generous: the shop's worker threads and child process start slowly on a loaded machine.
      ms: 60_000,
      context: () => child.output(),
    })
    token = await shopToken(dir, env)
  } catch (error) {
    // A shop that never came up is not returned, so no caller could stop it: stop it here.
    await child.stop()
    throw error
  }
  const { gateway } = JSON.parse(readFileSync(runFile, 'utf8')) as { gateway: string }
  const authorization = `Bearer ${token}`
  const api = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${gateway}${path}`, {
      method,
      ...(body === undefined
        ? { headers: { authorization } }
        : {
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
    })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }
  return {
    process: child,
    token,
    api,
    cart: async (user) => {
      const { status, body } = await api('GET', `/api/carts/${user}`)
      assert.equal(status, 200, JSON.stringify(body))
      return (body as { items: Line[] }).items
    },
    add: (user, sku, qty) => api('POST', `/api/carts/${user}/items`, { sku, qty }),
    stock: async (sku) =>
      ((await api('GET', `/api/stock/${sku}`)).body as { available: number }).available,
    setKey: async (key, value) => {
      const set = await runPlexus(['call', 'kv.set', JSON.stringify({ key, value }), '--json'], {
        cwd: dir,
        env,
      })
      assert.equal(set.code, 0, set.stderr)
    },
    stop: async () => {
      await child.stop()
      assert.equal(existsSync(runFile), false, 'the shop has stopped')
    },
  }
}

/** A dev token for the shop started in `dir`, printed by `plexus token` as a user gets one. */
export async function shopToken(
  dir: string,
  env: NodeJS.ProcessEnv = userEnv(),
  sub = 'shop-test',
): Promise<string> {
  const printed = await runPlexus(['token', config, '--sub', sub], { cwd: dir, env })
  assert.equal(printed.code, 0, printed.stderr)
  const token = printed.stdout.trim()
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT')
  return token
}
