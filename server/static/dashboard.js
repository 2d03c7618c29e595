// The live dashboard's script, served as a file (the page's Content-Security-Policy allows no inline
// script). It keeps loot totals from GET /api/live's snapshot plus its ingest messages, and refreshes
// the heatmap, the newest sheets and the distinct counts at most about once a second.
/* global vega, vegaEmbed */
"use strict";

const KEY_STORAGE = "loot-telemetry-read-key";
const RATE_WINDOW_SECONDS = 300;
const REFRESH_MS = 700;

const state = {
  totals: new Map(),
  sheets: 0,
  /** Sheets per whole second (epoch seconds), from ingest messages. */
  perSecond: new Map(),
  item: undefined,
  refreshTimer: undefined,
  lastRefresh: 0,
};
const views = {};
const $ = (id) => document.getElementById(id);
const format = (n) => Number(n).toLocaleString("en-US");

/** vega-embed without eval (vega-interpreter) and without injected styles, as the CSP requires. */
const EMBED_OPTIONS = {
  renderer: "canvas",
  actions: false,
  ast: true,
  expr: vega.expressionInterpreter,
  defaultStyle: false,
  tooltip: false,
  // Charts start empty (their data arrives over the feed), which Vega would warn about once each.
  logLevel: vega.Error,
};

function readKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

/** fetch with the read key when one was entered; a 401 or 403 asks for it. */
async function api(path, init = {}) {
  const key = readKey();
  const headers = new Headers(init.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 || response.status === 403) askForKey();
  return response;
}

function askForKey() {
  $("key-form").hidden = false;
  setStatus("closed", "Needs the read key");
}

function setStatus(stateName, text) {
  const status = $("status");
  status.dataset.state = stateName;
  status.textContent = text;
}

async function createCharts() {
  // Fit the container with the axis labels inside it: fitted to the plot alone, the item names
  // left of the bars were cut off.
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: "container",
    autosize: { type: "fit", contains: "padding" },
  };
  const [totals, heatmap, rate] = await Promise.all([
    vegaEmbed("#totals-chart", {
      ...base,
      height: 160,
      data: { name: "totals" },
      mark: { type: "bar", color: "#e4572e", cornerRadiusEnd: 3 },
      encoding: {
        y: { field: "item", type: "nominal", sort: "-x", title: null },
        x: { field: "units", type: "quantitative", title: "Units looted" },
      },
    }, EMBED_OPTIONS),
    vegaEmbed("#heatmap-chart", {
      ...base,
      autosize: { type: "pad" },
      width: 300,
      height: 300,
      data: { name: "cells" },
      mark: "rect",
      encoding: {
        x: { field: "col", type: "ordinal", axis: null },
        y: { field: "row", type: "ordinal", sort: "descending", axis: null },
        color: {
          field: "units",
          type: "quantitative",
          scale: { scheme: "orangered" },
          title: "Units",
        },
      },
    }, EMBED_OPTIONS),
    vegaEmbed("#rate-chart", {
      ...base,
      height: 160,
      data: { name: "rate" },
      mark: { type: "area", line: true, color: "#0b69a3", opacity: 0.6 },
      encoding: {
        x: { field: "time", type: "temporal", title: null },
        y: { field: "sheets", type: "quantitative", title: "Sheets/s" },
      },
    }, EMBED_OPTIONS),
  ]);
  views.totals = totals.view;
  views.heatmap = heatmap.view;
  views.rate = rate.view;
}

function renderTotals() {
  const items = [...state.totals.keys()].sort();
  const units = items.reduce((sum, item) => sum + state.totals.get(item), 0);
  $("sheets").textContent = format(state.sheets);
  $("units").textContent = format(units);
  const body = $("totals").tBodies[0];
  body.replaceChildren(...items.map((item) => {
    const row = document.createElement("tr");
    row.dataset.item = item;
    const name = document.createElement("td");
    name.textContent = item;
    const count = document.createElement("td");
    count.className = "units number";
    count.textContent = format(state.totals.get(item));
    row.append(name, count);
    return row;
  }));
  views.totals?.data("totals", items.map((item) => ({ item, units: state.totals.get(item) })))
    .runAsync();
  const picker = $("item");
  const known = [...picker.options].map((option) => option.value).join(",");
  if (known !== items.join(",")) {
    picker.replaceChildren(...items.map((item) => new Option(item, item)));
    state.item ??= items.includes("rubber_duck") ? "rubber_duck" : items[0];
    if (state.item) picker.value = state.item;
  }
}

function renderRate() {
  const now = Math.floor(Date.now() / 1000);
  for (const second of state.perSecond.keys()) {
    if (second <= now - RATE_WINDOW_SECONDS) state.perSecond.delete(second);
  }
  const values = [];
  for (let second = now - RATE_WINDOW_SECONDS + 1; second <= now; second++) {
    values.push({ time: second * 1000, sheets: state.perSecond.get(second) ?? 0 });
  }
  views.rate?.data("rate", values).runAsync();
}

/** Heatmap, newest sheets, distinct matches and players: at most one refresh per REFRESH_MS. */
function scheduleRefresh() {
  if (state.refreshTimer !== undefined) return;
  const wait = Math.max(0, state.lastRefresh + REFRESH_MS - performance.now());
  state.refreshTimer = setTimeout(async () => {
    state.refreshTimer = undefined;
    state.lastRefresh = performance.now();
    await Promise.all([refreshCounts(), refreshNewest(), refreshHeatmap()]).catch((error) =>
      setStatus("closed", `Refresh failed: ${error.message}`)
    );
  }, wait);
}

async function refreshCounts() {
  const response = await api("/api/aggregate");
  if (!response.ok) return;
  const { data } = await response.json();
  $("matches").textContent = format(data.total_matches);
  $("players").textContent = format(data.total_players);
}

async function refreshNewest() {
  const response = await api("/api/stats?limit=8");
  if (!response.ok) return;
  const { data } = await response.json();
  $("newest").tBodies[0].replaceChildren(...data.map((sheet) => {
    const row = document.createElement("tr");
    const units = Object.values(sheet.looted_items).reduce((sum, n) => sum + n, 0);
    for (
      const text of [
        sheet.id,
        sheet.match_id,
        sheet.player_id,
        sheet.game_mode ?? "—",
        sheet.timestamp,
        format(units),
      ]
    ) {
      const cell = document.createElement("td");
      cell.textContent = String(text);
      row.append(cell);
    }
    return row;
  }));
}

async function refreshHeatmap() {
  if (!state.item) return;
  const response = await api(`/api/heatmap/${encodeURIComponent(state.item)}?bins=20`);
  if (!response.ok) return;
  const { data } = await response.json();
  const cells = data.grid.flatMap((row, rowIndex) =>
    row.map((units, col) => ({ col, row: rowIndex, units }))
  );
  await views.heatmap?.data("cells", cells).runAsync();
}

function onMessage(event) {
  const message = JSON.parse(event.data);
  if (message.type === "snapshot") {
    state.totals = new Map(Object.entries(message.data.total_items));
    state.sheets = message.data.total_stat_sheets;
    $("matches").textContent = format(message.data.total_matches);
    $("players").textContent = format(message.data.total_players);
  } else if (message.type === "ingest") {
    state.sheets += message.sheets;
    for (const [item, units] of Object.entries(message.total_items)) {
      state.totals.set(item, (state.totals.get(item) ?? 0) + units);
    }
    const second = Math.floor(Date.parse(message.at) / 1000);
    state.perSecond.set(second, (state.perSecond.get(second) ?? 0) + message.sheets);
  }
  renderTotals();
  renderRate();
  scheduleRefresh();
}

/** A ticket (single use, 30 s) lets the WebSocket through when reads need a key; see README. */
async function connect() {
  setStatus("connecting", "Connecting…");
  let query = "";
  try {
    const response = await api("/api/live/ticket", { method: "POST" });
    if (response.status === 401 || response.status === 403) return;
    if (response.ok) query = `?ticket=${encodeURIComponent((await response.json()).ticket)}`;
  } catch {
    setTimeout(connect, 2_000);
    return;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/live${query}`);
  socket.onopen = () => setStatus("live", "Live");
  socket.onmessage = onMessage;
  socket.onclose = (event) => {
    setStatus("closed", `Disconnected${event.reason ? ` (${event.reason})` : ""}; reconnecting…`);
    setTimeout(connect, 2_000);
  };
}

$("item").addEventListener("change", (event) => {
  state.item = event.target.value;
  void refreshHeatmap();
});
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $("key").value);
  $("key-form").hidden = true;
  void connect();
});
setInterval(renderRate, 1_000);
createCharts().then(() => {
  renderRate();
  return connect();
});
