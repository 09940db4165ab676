/**
 * The live view's page: one HTML file, no build step. It opens the SSE
 * stream `events` (relative to its own URL, so it works under any prefix)
 * and draws each state it receives; it tells the server it is open every
 * 5 s, which publishes updates only while a page is.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>grip-lambda dev</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { color-scheme: light; --line: #d8dee4; --muted: #57606a; --bad: #cf222e; --ok: #1a7f37; }
  body { font: 13px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { display: flex; gap: 24px; align-items: baseline; padding: 10px 16px; background: #24292f; color: #fff; }
  header h1 { font-size: 15px; margin: 0; }
  header .stat b { font-size: 15px; }
  #live { margin-left: auto; font-size: 12px; }
  #live.on::before { content: '●'; color: #3fb950; margin-right: 4px; }
  #live.off::before { content: '●'; color: #f85149; margin-right: 4px; }
  main { display: grid; grid-template-columns: minmax(320px, 1fr) 2fr; gap: 12px; padding: 12px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
  section h2 { font-size: 13px; margin: 0 0 6px; }
  .wide { grid-column: 1 / -1; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
  .muted { color: var(--muted); }
  .bad { color: var(--bad); }
  .ok { color: var(--ok); }
  details { border-bottom: 1px solid #eef1f4; }
  details summary { cursor: pointer; padding: 2px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .frames { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; padding: 4px 0 8px 16px; }
  .frame { white-space: pre-wrap; word-break: break-all; }
  .in { color: #0550ae; } .out { color: #8250df; }
  .empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>grip-lambda dev</h1>
  <span class="stat">clients <b id="clients">0</b></span>
  <span class="stat">Pushpin connections <b id="proxy">–</b></span>
  <span class="stat">invocations <b id="invocations">0</b></span>
  <span class="stat">publishes <b id="publishes">0</b></span>
  <span class="stat">errors <b id="errors">0</b></span>
  <span id="live" class="off">connecting</span>
</header>
<main>
  <section><h2>Routes</h2><table id="routes"></table></section>
  <section><h2>Channels and their subscribers</h2><table id="channels"></table></section>
  <section class="wide"><h2>Invocations <span class="muted">(newest first; open one for its events in and out)</span></h2><div id="log"></div></section>
  <section><h2>Connections</h2><table id="connections"></table></section>
  <section><h2>Publishes</h2><table id="publishlist"></table></section>
  <section class="wide"><h2>Errors</h2><table id="errorlist"></table></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const time = (iso) => iso.slice(11, 23);
const opened = new Set();
function rows(table, head, items, row, empty) {
  table.innerHTML = '<tr>' + head.map((h) => '<th>' + h + '</th>').join('') + '</tr>' +
    (items.length === 0 ? '<tr><td class="empty" colspan="' + head.length + '">' + empty + '</td></tr>' : items.map(row).join(''));
}
function frames(list, kind) {
  if (list.length === 0) return '<div class="empty">none</div>';
  return list.map((f) => '<div class="frame mono ' + kind + '">' + (kind === 'in' ? '↑ ' : '↓ ') + esc(f.type) + (f.preview ? ' ' + esc(f.preview) : '') + '</div>').join('');
}
function render(state) {
  $('clients').textContent = state.connections.length;
  $('proxy').textContent = state.proxyConnections === undefined || state.proxyConnections === null ? '–' : state.proxyConnections;
  $('invocations').textContent = state.totals.invocations;
  $('publishes').textContent = state.totals.publishes;
  $('errors').textContent = state.totals.errors;
  rows($('routes'), ['method', 'path', 'function', 'clients'], state.routes,
    (r) => '<tr><td class="mono">' + esc(r.method) + '</td><td class="mono">' + esc(r.path) + '</td><td>' + esc(r.functionName) + '</td><td data-route-clients="' + esc(r.functionName) + '">' + r.clients + '</td></tr>', 'no routes');
  rows($('channels'), ['channel', 'subscribers', 'connections'], state.channels,
    (c) => '<tr><td class="mono">' + esc(c.name) + '</td><td>' + c.subscribers.length + '</td><td class="mono muted">' + c.subscribers.map(esc).join(' ') + '</td></tr>', 'no subscriptions');
  rows($('connections'), ['connection', 'function', 'path', 'since'], state.connections,
    (c) => '<tr><td class="mono">' + esc(c.id) + '</td><td>' + esc(c.functionName) + '</td><td class="mono">' + esc(c.path) + '</td><td class="mono muted">' + time(c.since) + '</td></tr>', 'no connections');
  rows($('publishlist'), ['time', 'function', 'channels', 'items', 'content'], state.publishes,
    (p) => '<tr' + (p.error ? ' class="bad" title="' + esc(p.error) + '"' : '') + '><td class="mono muted">' + time(p.time) + '</td><td>' + esc(p.functionName) + '</td><td class="mono">' + p.channels.map(esc).join(' ') + '</td><td>' + p.items + '</td><td class="mono">' + esc(p.preview) + (p.error ? ' — failed: ' + esc(p.error) : '') + '</td></tr>', 'no publishes');
  rows($('errorlist'), ['time', 'function', 'error'], state.errors,
    (e) => '<tr><td class="mono muted">' + time(e.time) + '</td><td>' + esc(e.functionName || '–') + '</td><td class="mono bad">' + esc(e.text) + '</td></tr>', 'no errors');
  const log = $('log');
  log.innerHTML = state.invocations.length === 0 ? '<div class="empty">no invocations yet</div>' : state.invocations.map((i) =>
    '<details data-seq="' + i.seq + '"' + (opened.has(i.seq) ? ' open' : '') + '><summary class="mono">' +
    '<span class="muted">' + time(i.time) + '</span> ' + esc(i.functionName) + ' ' + esc(i.method) + ' ' + esc(i.path) + ' ' +
    '<span class="' + (i.status >= 400 ? 'bad' : 'ok') + '">' + i.status + '</span>' +
    (i.connectionId ? ' <span class="muted">conn=' + esc(i.connectionId) + '</span>' : '') +
    (i.eventsIn.length + i.eventsOut.length > 0 ? ' in=' + esc(i.eventsIn.join(',') || '-') + ' out=' + esc(i.eventsOut.join(',') || '-') : '') +
    ' ' + i.durationMs.toFixed(1) + ' ms' + (i.publishes > 0 ? ' pub=' + i.publishes : '') + (i.errors.length > 0 ? ' <span class="bad">errors=' + i.errors.length + '</span>' : '') +
    '</summary><div class="frames"><div>' + frames(i.framesIn, 'in') + '</div><div>' + frames(i.framesOut, 'out') + '</div></div>' +
    i.errors.map((e) => '<div class="mono bad">' + esc(e) + '</div>').join('') + '</details>').join('');
}
document.addEventListener('toggle', (event) => {
  const seq = Number(event.target.dataset && event.target.dataset.seq);
  if (!seq) return;
  if (event.target.open) opened.add(seq); else opened.delete(seq);
}, true);
const source = new EventSource('events');
source.addEventListener('state', (event) => render(JSON.parse(event.data)));
source.onopen = () => { $('live').className = 'on'; $('live').textContent = 'live'; };
source.onerror = () => { $('live').className = 'off'; $('live').textContent = 'reconnecting'; };
const alive = () => fetch('alive', { method: 'POST' }).catch(() => {});
setInterval(alive, 5000);
</script>
</body>
</html>
`;
}
