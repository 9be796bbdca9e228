import type { TraceLinkOptions } from './options.js'

/** What the page is built with: its socket's path, the push interval, the trace-UI links. */
export interface DashboardPageOptions {
  livePath: string
  /** Milliseconds between snapshots: the time charts span 120 of them. */
  interval: number
  traceLinks: TraceLinkOptions | undefined
}

/**
 * The dashboard page: one self-contained HTML document (no framework, no external assets, so
 * it works offline), drawing inline SVG charts from the snapshots its socket receives: time
 * charts of req/s and p99 per service, sparklines, and links to a trace UI when configured.
 * The token, when one is needed, is read from the page's own query string, never written into
 * the page.
 */
export function dashboardPage(options: DashboardPageOptions): string {
  const { livePath, interval, traceLinks } = options
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Plexus</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#0f1419; --panel:#182029; --line:#2a3440; --text:#d8dee6; --dim:#8593a3;
          --ok:#4cc38a; --warn:#e5b449; --bad:#ef5b5b; --accent:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; letter-spacing:.5px; }
  #conn { font-size:12px; padding:2px 8px; border-radius:10px; background:var(--line); }
  #conn.live { background:#1f4d36; color:var(--ok); }
  main { padding:16px 20px; display:grid; gap:16px; }
  .cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:12px; }
  .card { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
  .card .label { color:var(--dim); font-size:12px; text-transform:uppercase; letter-spacing:.5px; }
  .card .value { font-size:24px; font-variant-numeric:tabular-nums; }
  .card svg { display:block; width:100%; height:36px; margin-top:4px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px; }
  section h2 { font-size:13px; margin:0 0 8px; color:var(--dim); text-transform:uppercase; letter-spacing:.5px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:right; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th:first-child, td:first-child, th.l, td.l { text-align:left; }
  th { color:var(--dim); font-weight:500; font-size:12px; }
  tr.svc td { font-weight:600; background:#1c2530; }
  td svg { width:120px; height:22px; vertical-align:middle; }
  .state { font-size:12px; padding:1px 6px; border-radius:8px; background:var(--line); }
  .state.running { color:var(--ok); } .state.failed, .state.crashed { color:var(--bad); }
  .state.starting, .state.draining, .state.stopping { color:var(--warn); }
  .badge { font-size:11px; color:var(--accent); margin-left:6px; }
  .two { display:grid; grid-template-columns:2fr 1fr; gap:16px; }
  #events { list-style:none; margin:0; padding:0; max-height:320px; overflow:auto; font-size:13px; }
  #events li { padding:3px 0; border-bottom:1px solid var(--line); }
  #events time { color:var(--dim); margin-right:8px; font-variant-numeric:tabular-nums; }
  #events .lifecycle { color:var(--warn); }
  .err { color:var(--bad); }
  .charts { display:grid; grid-template-columns:repeat(auto-fill,minmax(380px,1fr)); gap:12px; }
  .chart { border:1px solid var(--line); border-radius:6px; padding:8px; }
  .chart h3 { font-size:13px; margin:0 0 4px; display:flex; justify-content:space-between; }
  .chart .axis { color:var(--dim); font-size:11px; }
  .chart svg { display:block; width:100%; height:90px; }
  .chart svg text { fill:var(--dim); font-size:10px; }
  a.trace { color:var(--accent); font-size:11px; margin-left:8px; text-decoration:none; }
  a.trace:hover { text-decoration:underline; }
</style>
</head>
<body>
<header><h1>Plexus</h1><span id="conn">connecting…</span><span id="kstate" class="state"></span></header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Requests/s (gateway)</div><div class="value" id="gw-rate">–</div><svg id="gw-rate-chart"></svg></div>
    <div class="card"><div class="label">Handled/s (services)</div><div class="value" id="svc-rate">–</div><svg id="svc-rate-chart"></svg></div>
    <div class="card"><div class="label">p99 ms (worst service)</div><div class="value" id="p99">–</div><svg id="p99-chart"></svg></div>
    <div class="card"><div class="label">In flight</div><div class="value" id="inflight">–</div><svg id="inflight-chart"></svg></div>
    <div class="card"><div class="label">Errors</div><div class="value" id="errors">–</div></div>
    <div class="card"><div class="label">Handled total</div><div class="value" id="total-count">–</div></div>
    <div class="card"><div class="label">Sockets / streams</div><div class="value" id="sockets">–</div></div>
  </div>
  <section>
    <h2>Services</h2>
    <table id="services"><thead><tr>
      <th>service / instance</th><th class="l">placement</th><th class="l">node</th><th class="l">state</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th>
      <th>in flight</th><th>handled</th><th>errors</th><th>restarts</th><th>refused</th><th class="l">req/s (2 min)</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Per service: req/s and p99 ms</h2>
    <div id="charts" class="charts"></div>
  </section>
  <div class="two">
    <section><h2>Recent events</h2><ul id="events"></ul></section>
    <section><h2>Legacy façade</h2><table id="proxied"><tbody></tbody></table></section>
  </div>
</main>
<script>
(() => {
  const HISTORY = 120
  const INTERVAL = ${Number(interval)}
  // Trace-UI URL templates from the gateway's config ({traceId}, {service}), or null.
  const LINKS = ${safeJson(traceLinks ?? null)}
  const series = new Map()
  const push = (key, value) => {
    let s = series.get(key)
    if (!s) series.set(key, (s = []))
    s.push(value)
    if (s.length > HISTORY) s.shift()
    return s
  }
  const spark = (svg, values, color) => {
    const box = svg.getBoundingClientRect()
    const w = box.width || 120, h = box.height || 24
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h)
    const max = Math.max(1, ...values)
    // A short history is stretched over at least 12 slots, so the first seconds have a shape.
    const slots = Math.max(12, values.length)
    const step = w / (slots - 1)
    const off = (slots - values.length) * step
    const pts = values.map((v, i) => (off + i * step).toFixed(1) + ',' + (h - 2 - (v / max) * (h - 4)).toFixed(1))
    svg.innerHTML = values.length < 2 ? '' :
      '<polyline fill="none" stroke="' + color + '" stroke-width="1.5" points="' + pts.join(' ') + '"/>'
  }
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e }
  const fmt = (n) => n >= 100 ? Math.round(n).toLocaleString() : (Math.round(n * 10) / 10).toLocaleString()
  const $ = (id) => document.getElementById(id)
  const link = (href, text) => { const a = el('a', text, 'trace'); a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer'; return a }
  const fill = (template, key, value) => template.split('{' + key + '}').join(encodeURIComponent(value))

  // Time charts: one per service and figure, x = the last HISTORY snapshots' time, y = 0..max.
  const charts = new Map()
  const chartsFor = (name) => {
    let c = charts.get(name)
    if (!c) {
      const box = el('div', undefined, 'chart'); box.dataset.service = name
      const title = el('h3'); title.append(el('span', name))
      if (LINKS && LINKS.service) title.append(link(fill(LINKS.service, 'service', name), 'traces'))
      const mk = (metric) => { const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg'); svg.dataset.metric = metric; svg.dataset.points = '0'; return svg }
      c = { box, rate: mk('rate'), p99: mk('p99'), points: [] }
      box.append(title, el('div', 'req/s', 'axis'), c.rate, el('div', 'p99 ms', 'axis'), c.p99)
      $('charts').append(box)
      charts.set(name, c)
    }
    return c
  }
  const timeChart = (svg, points, key, color) => {
    const w = 360, h = 90, left = 40, right = 6, top = 8, bottom = 14
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h)
    const span = HISTORY * INTERVAL
    const now = points.length ? points[points.length - 1].t : Date.now()
    const from = now - span
    let max = 0
    for (const p of points) max = Math.max(max, p[key])
    const top1 = max > 0 ? max * 1.1 : 1
    const x = (t) => (left + ((t - from) / span) * (w - left - right)).toFixed(1)
    const y = (v) => (h - bottom - (v / top1) * (h - bottom - top)).toFixed(1)
    const seconds = Math.round(span / 1000)
    let body = '<line x1="' + left + '" y1="' + (h - bottom) + '" x2="' + (w - right) + '" y2="' + (h - bottom) + '" stroke="#2a3440"/>' +
      '<line x1="' + left + '" y1="' + top + '" x2="' + (w - right) + '" y2="' + top + '" stroke="#2a3440" stroke-dasharray="2 3"/>' +
      '<text x="' + (left - 4) + '" y="' + (top + 4) + '" text-anchor="end">' + fmt(top1) + '</text>' +
      '<text x="' + (left - 4) + '" y="' + (h - bottom) + '" text-anchor="end">0</text>' +
      '<text x="' + left + '" y="' + (h - 2) + '">-' + seconds + ' s</text>' +
      '<text x="' + (w - right) + '" y="' + (h - 2) + '" text-anchor="end">now</text>'
    if (points.length > 0) {
      const pts = points.map((p) => x(p.t) + ',' + y(p[key])).join(' ')
      const last = points[points.length - 1]
      body += '<polyline fill="none" stroke="' + color + '" stroke-width="1.5" points="' + pts + '"/>' +
        '<circle r="2.5" fill="' + color + '" cx="' + x(last.t) + '" cy="' + y(last[key]) + '"/>'
      svg.dataset.last = String(last[key])
    }
    svg.innerHTML = body
    svg.dataset.points = String(points.length)
    svg.dataset.max = String(max)
  }

  const render = (snap) => {
    let rate = 0, inflight = 0, errors = 0, count = 0, p99 = 0
    const tbody = $('services').tBodies[0]
    tbody.replaceChildren()
    // Per service name (every version): req/s summed, p99 the worst instance's.
    const perService = new Map()
    for (const s of snap.services) {
      const agg = perService.get(s.name) || { rate: 0, p99: 0 }
      for (const i of s.instances) { agg.rate += i.rate; agg.p99 = Math.max(agg.p99, i.p99) }
      perService.set(s.name, agg)
    }
    for (const [name, agg] of perService) {
      const c = chartsFor(name)
      c.points.push({ t: snap.at, rate: agg.rate, p99: agg.p99 })
      if (c.points.length > HISTORY) c.points.shift()
      timeChart(c.rate, c.points, 'rate', '#58a6ff')
      timeChart(c.p99, c.points, 'p99', '#e5b449')
    }
    for (const [name, c] of charts) if (!perService.has(name)) { c.box.remove(); charts.delete(name) }
    for (const s of snap.services) {
      let sRate = 0
      for (const i of s.instances) { sRate += i.rate; inflight += i.inFlight; errors += i.errors; count += i.count; p99 = Math.max(p99, i.p99) }
      rate += sRate
      const key = s.name + '@' + s.version
      const hist = push('svc:' + key, sRate)
      const row = el('tr', undefined, 'svc'); row.dataset.service = s.name
      const name = el('td', key); if (s.current) name.append(el('span', 'current', 'badge'))
      if (LINKS && LINKS.service) name.append(link(fill(LINKS.service, 'service', s.name), 'traces'))
      const chart = el('td', undefined, 'l'); const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg'); chart.append(svg)
      row.append(name, el('td', '', 'l'), el('td', '', 'l'), el('td', undefined, 'l'), el('td', fmt(sRate), 'rate'), el('td', ''), el('td', ''),
        el('td', ''), el('td', ''), el('td', ''), el('td', ''), el('td', ''), chart)
      row.children[3].append(el('span', s.state, 'state ' + s.state))
      tbody.append(row)
      spark(svg, hist, '#58a6ff')
      for (const i of s.instances) {
        const r = el('tr'); r.dataset.instance = i.id
        const st = el('td', undefined, 'l'); st.append(el('span', i.state, 'state ' + i.state))
        // Ids are qualified by node (node/service@v#n): the node has its own column.
        const local = i.node && i.id.startsWith(i.node + '/') ? i.id.slice(i.node.length + 1) : i.id
        r.append(el('td', '\\u00a0\\u00a0' + local), el('td', i.placement, 'l'), el('td', i.node || '', 'l node'), st, el('td', fmt(i.rate)), el('td', fmt(i.p50)),
          el('td', fmt(i.p99)), el('td', i.inFlight), el('td', i.count.toLocaleString()),
          el('td', i.errors, i.errors > 0 ? 'err' : ''), el('td', i.restarts),
          el('td', i.refused ?? 0, i.refused > 0 ? 'err' : ''), el('td', ''))
        tbody.append(r)
      }
    }
    const gw = snap.gateway
    $('gw-rate').textContent = fmt(gw.requestRate); spark($('gw-rate-chart'), push('gw', gw.requestRate), '#58a6ff')
    $('svc-rate').textContent = fmt(rate); spark($('svc-rate-chart'), push('rate', rate), '#4cc38a')
    $('p99').textContent = fmt(p99); spark($('p99-chart'), push('p99', p99), '#e5b449')
    $('inflight').textContent = inflight; spark($('inflight-chart'), push('inflight', inflight), '#d8dee6')
    $('errors').textContent = (errors + gw.serverErrors).toLocaleString()
    $('total-count').textContent = count.toLocaleString(); $('total-count').dataset.value = String(count)
    $('sockets').textContent = gw.sockets + ' / ' + gw.openStreams
    $('kstate').textContent = 'kernel ' + snap.kernel.state; $('kstate').className = 'state ' + snap.kernel.state
    const events = $('events'); events.replaceChildren()
    for (const e of snap.events) {
      const li = el('li', undefined, e.kind); const t = el('time', new Date(e.at).toLocaleTimeString())
      li.append(t, document.createTextNode(e.text + (e.count > 1 ? ' ×' + e.count : '')))
      if (LINKS && e.traceId) li.append(link(fill(LINKS.trace, 'traceId', e.traceId), 'trace'))
      events.append(li)
    }
    const proxied = $('proxied').tBodies[0]; proxied.replaceChildren()
    const routes = Object.entries(gw.proxied.routes)
    if (routes.length === 0) { const r = el('tr'); r.append(el('td', 'no proxied requests')); proxied.append(r) }
    for (const [route, n] of routes.slice(0, 20)) { const r = el('tr'); r.append(el('td', route), el('td', n.toLocaleString())); proxied.append(r) }
  }

  const connect = () => {
    const url = new URL(${safeJson(livePath)}, location.href)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    url.search = location.search
    const ws = new WebSocket(url)
    ws.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'live' }
    ws.onmessage = (m) => { const snap = JSON.parse(m.data); if (snap.type === 'snapshot') render(snap) }
    ws.onclose = () => { $('conn').textContent = 'reconnecting…'; $('conn').className = ''; setTimeout(connect, 1000) }
  }
  connect()
})()
</script>
</body>
</html>
`
}

// JSON inside a <script>: `<` escaped, so no value can close the element.
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}
