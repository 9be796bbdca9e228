// The shop, as data: which services run, where, how many, and how to reach them. Every key can be
// overridden by an environment variable (PLEXUS_SERVICES__ORDERS__INSTANCES=4, PORT=9090...).
import { defineConfig } from '@plexus/cli'

// With a token in the environment the shop also listens for remote hosts (docs/remote.md):
// `PLEXUS_REMOTE_TOKEN=… npm run shop`, then e.g. `npx plexus host examples/shop/src/payments.ts
// --connect tcp://127.0.0.1:7070`.
const token = process.env.PLEXUS_REMOTE_TOKEN
const remote =
  token === undefined || token === ''
    ? []
    : [
        {
          module: '@plexus/remote',
          export: 'remote',
          options: { tcp: 'tcp://127.0.0.1:7070', token },
        },
      ]

export default defineConfig({
  name: 'shop',
  kernel: { deadline: 10_000, drainTimeout: 5_000 },
  log: { level: 'info', pretty: 'auto' },
  // The isolation plug-in registers the `worker` and `process` placements used below.
  plugins: [{ module: '@plexus/isolate', export: 'isolation' }, ...remote],
  services: {
    kv: {
      module: './src/kv.ts',
      // 'memory' forgets on restart; 'file' keeps an append-only log plus snapshot in `dir`;
      // 'redis' (url) or 'nats' (servers) share one store between several shops (docs/kv.md).
      config: { backend: 'file', dir: '.plexus/data' },
    },
    users: { module: './src/users.ts' },
    catalog: { module: './src/catalog.ts' },
    // Stateless over the store (reservations are compare-and-sets), so it runs as 2 instances.
    inventory: { module: './src/inventory.ts', instances: 2 },
    // A virtual actor per user (@plexus/actors): state in kv, one turn at a time per cart.
    cart: { module: './src/cart.ts' },
    orders: { module: './src/orders.ts', placement: 'worker', instances: 2 },
    payments: { module: './src/payments.ts', placement: 'process' },
    // Ships each order once; its orders.created subscription is durable with the durable-events
    // plug-in (docs/events.md), a plain event without it.
    shipping: { module: './src/shipping.ts' },
  },
  // Prometheus metrics at {url}/metrics, read from the kernel's own figures when scraped.
  metrics: true,
  // Bearer tokens at the edge: placing orders, carts and order history need one; the catalog and
  // stock are public. The dev key pair is made on the first start in the data dir (mode 0600) and
  // `npm run -s shop:token` (plexus token) prints a token signed with it. In production, replace
  // `dev` with `jwt: { jwksUrl, algorithms, issuer, audience }` from your identity provider.
  auth: {
    dev: { keyFile: '.plexus/data/auth-dev-key.json' },
    public: ['GET /api/catalog', 'GET /api/bestsellers', 'GET /api/stock/:sku'],
  },
  gateway: {
    port: 8080,
    routes: {
      'POST /api/orders': { action: 'orders.place', status: 201 },
      'GET /api/orders': 'orders.list',
      'GET /api/orders/:id': 'orders.get',
      'GET /api/stock/:sku': 'inventory.stock',
      'GET /api/catalog': 'catalog.list',
      'GET /api/bestsellers': 'catalog.bestsellers',
      'GET /api/users/:id': 'users.get',
      'GET /api/carts/:user': 'cart.items',
      'POST /api/carts/:user/items': 'cart.add',
      'DELETE /api/carts/:user/items/:sku': 'cart.remove',
      'POST /api/carts/:user/checkout': { action: 'cart.checkout', status: 201 },
    },
    websocket: { topics: ['orders.*', 'payments.*'] },
    dashboard: true,
    // {url}/openapi.json and a readable page at {url}/docs, with each action's zod schema.
    openapi: { title: 'The Plexus shop', version: '1.0.0' },
  },
  hints: [
    'Try it:',
    `  npx plexus call orders.place '{"user":"ada","items":[{"sku":"tea","qty":2}]}'`,
    '  curl -s {url}/api/stock/tea                   # public: no token needed',
    '  TOKEN=$(npm run -s shop:token)                 # a dev token (npx plexus token examples/shop/plexus.config.ts)',
    `  curl -s -XPOST {url}/api/orders -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"user":"grace","items":[{"sku":"jam","qty":1}]}'`,
    `  curl -s -XPOST {url}/api/carts/ada/items -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"sku":"scones","qty":2}'`,
    '  curl -s -XPOST {url}/api/carts/ada/checkout -H "authorization: Bearer $TOKEN"   # the cart becomes an order',
    '  npx plexus services      # what runs where',
    '  npx plexus top           # live figures per instance',
    '  curl -s {url}/metrics    # Prometheus metrics',
    '  curl -s {url}/readyz     # readiness (503 while draining)',
    '  open {url}/docs          # the API: routes and schemas (OpenAPI at {url}/openapi.json)',
    '  open "{url}/_plexus?access_token=$TOKEN"   # the dashboard (open without a token under shop:dev)',
  ],
})
