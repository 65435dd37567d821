// The operator dashboard, GET /dashboard: one page, no outside network. It imports the browser
// client from /client.mjs and Chart.js from /assets/chart.js (both served by browser-assets.ts),
// polls /status and /metrics once a second, and shows
//   - node figures (state, uptime, shards, connections, last LSN, shard restarts) from /status;
//   - ops/s and request latency percentiles over time, from the deltas of /metrics'
//     tessera_ops_total and tessera_request_duration_seconds histogram between two polls (the
//     page finds them by name pattern and shows "no data" when a build names them otherwise);
//   - per namespace, records and bytes against the memory limit from /status;
//   - a live change feed for a namespace and key prefix (client.subscribe);
//   - a key browser: a page of keys by prefix (client.scan), and one record's metadata and value.
// Every stored string reaches the page through textContent, never as HTML.
//
// For tests, window.tesseraDashboard exposes the charts and counters the page drew.

export const dashboardPage = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera dashboard</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f4f6fa; }
  body { margin: 0; }
  header { display: flex; gap: 1.5rem; align-items: baseline; padding: .8rem 1.2rem; background: #1d2330; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header .figure { font-size: .85rem; opacity: .9; }
  header .figure b { font-variant-numeric: tabular-nums; }
  #connection { padding: .1rem .5rem; border-radius: .3rem; background: #6b7280; }
  #connection.ready { background: #15803d; }
  #connection.reconnecting { background: #b45309; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; padding: 1rem; }
  section { background: #fff; border-radius: .5rem; padding: .8rem 1rem; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; overflow-x: auto; }
  section h2 { font-size: .95rem; margin: 0 0 .6rem; }
  .chart { position: relative; height: 200px; }
  table { border-collapse: collapse; width: 100%; font-size: .82rem; }
  th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #e5e7eb; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 22rem; }
  td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
  .bar { height: .5rem; background: #e5e7eb; border-radius: .25rem; overflow: hidden; width: 3.5rem; flex: none; }
  .bar > div { height: 100%; background: #2563eb; }
  form { display: flex; gap: .4rem; margin-bottom: .6rem; flex-wrap: wrap; }
  input, select, button { font: inherit; font-size: .85rem; padding: .2rem .4rem; }
  #feed { list-style: none; margin: 0; padding: 0; font-family: ui-monospace, monospace; font-size: .78rem; max-height: 260px; overflow-y: auto; }
  #feed li { padding: .15rem 0; border-bottom: 1px solid #f0f1f4; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #keys tr { cursor: pointer; }
  #keys tr:hover { background: #eef2ff; }
  pre { background: #f4f6fa; padding: .5rem; max-height: 220px; overflow: auto; font-size: .78rem; white-space: pre-wrap; word-break: break-all; }
  .muted { color: #6b7280; font-size: .8rem; }
  .error { color: #b91c1c; font-size: .8rem; }
</style>
<script src="/assets/chart.js"></script>
</head>
<body>
<header>
  <h1>Tessera</h1>
  <span id="connection" class="figure">connecting</span>
  <span class="figure">version <b id="version">-</b></span>
  <span class="figure">state <b id="state">-</b></span>
  <span class="figure">uptime <b id="uptime">-</b></span>
  <span class="figure">shards <b id="shards">-</b></span>
  <span class="figure">shard restarts <b id="restarts">-</b></span>
  <span class="figure">connections <b id="connections">-</b></span>
  <span class="figure">in flight <b id="inflight">-</b></span>
  <span class="figure">last LSN <b id="lsn">-</b></span>
</header>
<main>
  <section>
    <h2>Operations per second</h2>
    <div class="chart"><canvas id="ops-chart"></canvas></div>
    <p class="muted" id="ops-note"></p>
  </section>
  <section>
    <h2>Request latency (ms)</h2>
    <div class="chart"><canvas id="latency-chart"></canvas></div>
    <p class="muted" id="latency-note"></p>
  </section>
  <section>
    <h2>Health figures from /metrics</h2>
    <table><tbody id="figures"></tbody></table>
    <p class="muted" id="figures-note"></p>
  </section>
  <section>
    <h2>Namespaces</h2>
    <table>
      <thead><tr><th>name</th><th>mode</th><th class="number">records</th><th class="number">bytes</th><th class="number">limit</th><th>use</th></tr></thead>
      <tbody id="namespaces"></tbody>
    </table>
  </section>
  <section>
    <h2>Change feed</h2>
    <form id="feed-form">
      <select id="feed-ns" aria-label="namespace"></select>
      <input id="feed-prefix" placeholder="key prefix (empty: all)" aria-label="prefix">
      <button type="submit">Watch</button>
    </form>
    <p class="muted" id="feed-status">not watching</p>
    <ul id="feed"></ul>
  </section>
  <section>
    <h2>Key browser</h2>
    <form id="scan-form">
      <select id="scan-ns" aria-label="namespace"></select>
      <input id="scan-prefix" placeholder="key prefix" aria-label="prefix">
      <button type="submit">List</button>
      <button type="button" id="scan-next" disabled>Next page</button>
    </form>
    <p class="muted" id="scan-note">hash order within each partition</p>
    <table>
      <thead><tr><th>key</th><th class="number">gen</th><th>content type</th><th>last modified</th></tr></thead>
      <tbody id="keys"></tbody>
    </table>
  </section>
  <section>
    <h2>Record</h2>
    <p class="muted" id="record-key">pick a key in the key browser</p>
    <table><tbody id="record-meta"></tbody></table>
    <pre id="record-value"></pre>
  </section>
</main>
<p class="error" id="page-error"></p>
<script type="module">
import { connect } from '/client.mjs';

const pollMs = 1000;
const pointsMax = 120;
const feedItemsMax = 200;
const valueShownBytesMax = 4096;
const state = { samples: 0, feedEvents: 0, previous: null, charts: {} };
window.tesseraDashboard = state;

const byId = (id) => document.getElementById(id);
const setText = (id, text) => { byId(id).textContent = String(text); };
const decoder = new TextDecoder('utf-8', { fatal: true });
function keyText(bytes) {
  try { return decoder.decode(bytes); } catch { return '0x' + Array.from(bytes.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join(''); }
}
function valueText(bytes) {
  const shown = bytes.subarray(0, valueShownBytesMax);
  let text;
  try { text = decoder.decode(shown); } catch { text = Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(' '); }
  return bytes.byteLength > valueShownBytesMax ? text + '\n... (' + bytes.byteLength + ' bytes)' : text;
}
function formatBytes(bytes) {
  if (!(bytes > 0)) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (bytes >= 1024 && unit < units.length - 1) { bytes /= 1024; unit += 1; }
  return bytes.toFixed(unit === 0 ? 0 : 1) + ' ' + units[unit];
}
function formatUptime(sec) {
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  return (h > 0 ? h + 'h ' : '') + (h > 0 || m > 0 ? m + 'm ' : '') + s + 's';
}
function showError(error) { setText('page-error', String(error && error.message ? error.message : error)); }

// Charts ------------------------------------------------------------------------------------------
function lineChart(canvasId, datasets) {
  return new Chart(byId(canvasId), {
    type: 'line',
    data: { labels: [], datasets: datasets.map(([label, color, dashed]) => ({ label, data: [], borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, borderDash: dashed ? [6, 4] : [], tension: 0.2 })) },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}
state.charts.ops = lineChart('ops-chart', [['ops/s', '#2563eb'], ['writes/s (LSNs)', '#16a34a', true]]);
state.charts.latency = lineChart('latency-chart', [['p50', '#2563eb'], ['p90', '#d97706'], ['p99', '#dc2626']]);
function push(chart, label, values) {
  chart.data.labels.push(label);
  values.forEach((value, index) => chart.data.datasets[index].data.push(value));
  if (chart.data.labels.length > pointsMax) {
    chart.data.labels.shift();
    for (const dataset of chart.data.datasets) dataset.data.shift();
  }
  chart.update();
}

// Metrics: the Prometheus text format, just the samples --------------------------------------------
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels = {};
    for (const pair of (match[2] || '').slice(1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}
function sumOf(samples, pattern) {
  let total = 0, found = false;
  for (const sample of samples) if (pattern.test(sample.name)) { total += sample.value; found = true; }
  return found ? total : null;
}
/** Cumulative bucket counts by upper bound, every label set added together. */
function latencyBuckets(samples) {
  const buckets = new Map();
  for (const sample of samples) {
    if (!/^tessera_request_(duration|latency)_seconds_bucket$/.test(sample.name)) continue;
    const bound = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    buckets.set(bound, (buckets.get(bound) || 0) + sample.value);
  }
  return buckets;
}
/** The q-quantile (ms) of the requests between two polls, by linear interpolation in its bucket. */
function quantileMs(before, after, q) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((bound) => (after.get(bound) || 0) - (before.get(bound) || 0));
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0, below = 0;
  for (let index = 0; index < bounds.length; index++) {
    if (counts[index] >= rank) {
      const upper = bounds[index] === Infinity ? lower : bounds[index];
      const inBucket = counts[index] - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (upper - lower) * fraction) * 1000;
    }
    lower = bounds[index] === Infinity ? lower : bounds[index];
    below = counts[index];
  }
  return null;
}

// Polling -----------------------------------------------------------------------------------------
function renderStatus(status) {
  setText('version', status.version);
  setText('state', status.state);
  setText('uptime', formatUptime(status.uptimeSec));
  setText('shards', status.shards);
  setText('restarts', status.shardRestarts);
  setText('connections', status.connections);
  setText('inflight', status.requestsInFlight);
  setText('lsn', status.lastLsn);
  const body = byId('namespaces');
  body.replaceChildren(...status.namespaces.map((ns) => {
    const row = document.createElement('tr');
    const limit = ns.memoryLimitBytes;
    const cells = [ns.name, ns.mode, ns.records.toLocaleString(), formatBytes(ns.bytes), limit > 0 ? formatBytes(limit) : 'none'];
    cells.forEach((text, index) => {
      const cell = document.createElement('td');
      cell.textContent = text;
      if (index >= 2) cell.className = 'number';
      row.append(cell);
    });
    const use = document.createElement('td');
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    const percent = limit > 0 ? Math.min(100, (100 * ns.bytes) / limit) : 0;
    fill.style.width = percent.toFixed(1) + '%';
    bar.title = limit > 0 ? percent.toFixed(1) + '% of the limit' : 'no limit';
    bar.append(fill);
    const percentText = document.createElement('span');
    percentText.className = 'muted';
    percentText.textContent = limit > 0 ? ' ' + percent.toFixed(1) + '%' : '';
    use.style.display = 'flex';
    use.style.gap = '.4rem';
    use.style.alignItems = 'center';
    use.append(bar, percentText);
    row.append(use);
    return row;
  }));
  for (const id of ['feed-ns', 'scan-ns']) {
    const select = byId(id);
    if (select.options.length > 0) continue;
    for (const ns of status.namespaces) select.append(new Option(ns.name, ns.name));
  }
}

async function poll() {
  const [statusResponse, metricsResponse] = await Promise.all([fetch('/status', { cache: 'no-store' }), fetch('/metrics', { cache: 'no-store' })]);
  const status = await statusResponse.json();
  const samples = parseMetrics(await metricsResponse.text());
  renderStatus(status);
  const now = performance.now();
  const current = { atMs: now, ops: sumOf(samples, /^tessera_ops_total$/), lsn: status.lastLsn, buckets: latencyBuckets(samples) };
  const previous = state.previous;
  state.previous = current;
  if (previous === null) return;
  const seconds = (now - previous.atMs) / 1000;
  const label = new Date().toLocaleTimeString();
  const opsPerSec = current.ops === null || previous.ops === null ? null : Math.max(0, (current.ops - previous.ops) / seconds);
  const writesPerSec = Math.max(0, (current.lsn - previous.lsn) / seconds);
  push(state.charts.ops, label, [opsPerSec === null ? null : Math.round(opsPerSec), Math.round(writesPerSec)]);
  setText('ops-note', current.ops === null ? 'no tessera_ops_total in /metrics: showing writes (LSNs) only' : '');
  const quantiles = [0.5, 0.9, 0.99].map((q) => quantileMs(previous.buckets, current.buckets, q));
  push(state.charts.latency, label, quantiles.map((value) => (value === null ? null : Number(value.toFixed(3)))));
  setText('latency-note', current.buckets.size === 0 ? 'no request latency histogram in /metrics' : 'from the request latency histogram (HTTP and WebSocket); no point when idle');
  renderFigures(samples);
  state.samples += 1;
}

/** Evictions, expirations, refusals, subscriptions, restarts: whatever /metrics names so, summed per metric. */
const figurePattern = /evict|expir|out_?of_?memory|subscri|restart|backpressure|wal|fsync|replica|durable/i;
function renderFigures(samples) {
  const totals = new Map();
  for (const sample of samples) {
    if (!sample.name.startsWith('tessera_') || !figurePattern.test(sample.name) || /_bucket$|_sum$|_count$/.test(sample.name)) continue;
    totals.set(sample.name, (totals.get(sample.name) || 0) + sample.value);
  }
  byId('figures').replaceChildren(...[...totals].sort().map(([name, value]) => {
    const row = document.createElement('tr');
    const head = document.createElement('td');
    head.textContent = name;
    const cell = document.createElement('td');
    cell.className = 'number';
    cell.textContent = value.toLocaleString();
    row.append(head, cell);
    return row;
  }));
  setText('figures-note', totals.size === 0 ? 'none of these figures in /metrics yet' : 'summed over labels; the full set is at /metrics');
}
async function pollForever() {
  for (;;) {
    try { await poll(); setText('page-error', ''); } catch (error) { showError(error); }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

// Client: change feed and key browser --------------------------------------------------------------
const client = await connect((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/ws');
state.client = client;
const badge = byId('connection');
function showConnection() { badge.textContent = client.status; badge.className = 'figure ' + client.status; }
for (const name of ['connect', 'disconnect', 'reconnecting']) client.on(name, showConnection);
client.on('error', showError);
showConnection();
void pollForever();

let feed = null;
byId('feed-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (feed !== null) feed.close();
  const ns = byId('feed-ns').value;
  const prefix = byId('feed-prefix').value;
  byId('feed').replaceChildren();
  const subscription = client.subscribe(prefix === '' ? { ns } : { ns, prefix });
  feed = subscription;
  setText('feed-status', 'subscribing to ' + ns + '/' + prefix + '*');
  subscription.ready.then((lsn) => { if (feed === subscription) setText('feed-status', 'watching ' + ns + '/' + prefix + '* from LSN ' + lsn); }, showError);
  void (async () => {
    try {
      for await (const change of subscription) {
        const item = document.createElement('li');
        item.textContent = change.kind === 'gap'
          ? 'gap: changes before LSN ' + change.oldestLsn + ' are gone'
          : '#' + change.lsn + ' ' + change.kind + ' ' + keyText(change.key) + ' gen ' + change.generation + (change.value === null ? '' : ' (' + change.value.byteLength + ' bytes)');
        const list = byId('feed');
        list.prepend(item);
        while (list.children.length > feedItemsMax) list.lastElementChild.remove();
        state.feedEvents += 1;
      }
    } catch (error) {
      if (feed === subscription) setText('feed-status', 'stopped: ' + error.message);
    }
  })();
});

let scanCursor = null;
async function listKeys(cursor) {
  const ns = byId('scan-ns').value;
  const prefix = byId('scan-prefix').value;
  try {
    const page = await client.scan(ns, { prefix, limit: 50, values: false, cursor: cursor === null ? undefined : cursor });
    scanCursor = page.cursor;
    byId('scan-next').disabled = scanCursor === null;
    setText('scan-note', page.records.length + ' keys' + (scanCursor === null ? '' : ', more on the next page') + ' (hash order within each partition)');
    byId('keys').replaceChildren(...page.records.map((record) => {
      const row = document.createElement('tr');
      for (const [text, number] of [[keyText(record.key), false], [record.generation, true], [record.contentType || '-', false], [new Date(record.lastModified).toISOString().slice(0, 19).replace('T', ' '), false]]) {
        const cell = document.createElement('td');
        cell.textContent = String(text);
        if (number) cell.className = 'number';
        row.append(cell);
      }
      row.addEventListener('click', () => void showRecord(ns, record.key));
      return row;
    }));
  } catch (error) {
    showError(error);
  }
}
byId('scan-form').addEventListener('submit', (event) => { event.preventDefault(); void listKeys(null); });
byId('scan-next').addEventListener('click', () => void listKeys(scanCursor));

async function showRecord(ns, key) {
  setText('record-key', ns + '/' + keyText(key));
  try {
    const record = await client.get(ns, key);
    const meta = byId('record-meta');
    if (record === null) { meta.replaceChildren(); setText('record-value', '(deleted)'); return; }
    const rows = [['generation', record.generation], ['expiry', record.expiry === 0 ? 'never' : new Date(record.expiry * 1000).toISOString()], ['last modified', new Date(record.lastModified).toISOString()], ['content type', record.contentType || '-'], ['size', record.value.byteLength + ' bytes']];
    meta.replaceChildren(...rows.map(([name, value]) => {
      const row = document.createElement('tr');
      const head = document.createElement('th');
      head.textContent = name;
      const cell = document.createElement('td');
      cell.textContent = String(value);
      row.append(head, cell);
      return row;
    }));
    setText('record-value', valueText(record.value));
  } catch (error) {
    showError(error);
  }
}
</script>
</body>
</html>
`;
