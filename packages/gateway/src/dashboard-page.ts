/**
 * The dashboard page: one self-contained HTML document (no framework, no external assets),
 * drawing small SVG charts from the snapshots its socket receives. The token, when one is
 * needed, is read from the page's own query string, never written into the page.
 */
export function dashboardPage(livePath: string): string {
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
      <th>service / instance</th><th class="l">placement</th><th class="l">state</th><th>req/s</th><th>p50 ms</th><th>p99 ms</th>
      <th>in flight</th><th>handled</th><th>errors</th><th>restarts</th><th>refused</th><th class="l">req/s (2 min)</th>
    </tr></thead><tbody></tbody></table>
  </section>
  <div class="two">
    <section><h2>Recent events</h2><ul id="events"></ul></section>
    <section><h2>Legacy façade</h2><table id="proxied"><tbody></tbody></table></section>
  </div>
</main>
<script>
(() => {
  const HISTORY = 120
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

  const render = (snap) => {
    let rate = 0, inflight = 0, errors = 0, count = 0, p99 = 0
    const tbody = $('services').tBodies[0]
    tbody.replaceChildren()
    for (const s of snap.services) {
      let sRate = 0
      for (const i of s.instances) { sRate += i.rate; inflight += i.inFlight; errors += i.errors; count += i.count; p99 = Math.max(p99, i.p99) }
      rate += sRate
      const key = s.name + '@' + s.version
      const hist = push('svc:' + key, sRate)
      const row = el('tr', undefined, 'svc'); row.dataset.service = s.name
      const name = el('td', key); if (s.current) name.append(el('span', 'current', 'badge'))
      const chart = el('td', undefined, 'l'); const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg'); chart.append(svg)
      row.append(name, el('td', '', 'l'), el('td', undefined, 'l'), el('td', fmt(sRate), 'rate'), el('td', ''), el('td', ''),
        el('td', ''), el('td', ''), el('td', ''), el('td', ''), el('td', ''), chart)
      row.children[2].append(el('span', s.state, 'state ' + s.state))
      tbody.append(row)
      spark(svg, hist, '#58a6ff')
      for (const i of s.instances) {
        const r = el('tr'); r.dataset.instance = i.id
        const st = el('td', undefined, 'l'); st.append(el('span', i.state, 'state ' + i.state))
        // Ids are qualified by node (node/service@v#n): the node goes beside the placement.
        const local = i.node && i.id.startsWith(i.node + '/') ? i.id.slice(i.node.length + 1) : i.id
        r.append(el('td', '\\u00a0\\u00a0' + local), el('td', i.placement + (i.node ? ' @ ' + i.node : ''), 'l'), st, el('td', fmt(i.rate)), el('td', fmt(i.p50)),
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
      li.append(t, document.createTextNode(e.text + (e.count > 1 ? ' ×' + e.count : ''))); events.append(li)
    }
    const proxied = $('proxied').tBodies[0]; proxied.replaceChildren()
    const routes = Object.entries(gw.proxied.routes)
    if (routes.length === 0) { const r = el('tr'); r.append(el('td', 'no proxied requests')); proxied.append(r) }
    for (const [route, n] of routes.slice(0, 20)) { const r = el('tr'); r.append(el('td', route), el('td', n.toLocaleString())); proxied.append(r) }
  }

  const connect = () => {
    const url = new URL(${JSON.stringify(livePath)}, location.href)
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
