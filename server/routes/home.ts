import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../deps.ts";

interface EndpointDoc {
  method: string;
  path: string;
  summary: string;
  curl: string;
}

function describeEndpoints(base: string): EndpointDoc[] {
  const sheet =
    `{"match_id":"curl_example_001","player_id":"curl_player_1","timestamp":"2025-10-23T10:30:00Z","looted_items":{"rubber_duck":3,"medkit":1},"locations":{"rubber_duck":[25.5,75.2],"medkit":[10,50]}}`;
  return [
    {
      method: "GET",
      path: "/api/health",
      summary: "Server and database health: 200 when the database answers, 503 when it does not.",
      curl: `curl ${base}/api/health`,
    },
    {
      method: "POST",
      path: "/api/submit",
      summary:
        "Submit one stat sheet: 201 with its id; an identical resubmission answers 200 with the same id and duplicate: true; a different sheet under the same match_id and player_id answers 409.",
      curl: `curl -X POST ${base}/api/submit -H 'Content-Type: application/json' -d '${sheet}'`,
    },
    {
      method: "POST",
      path: "/api/submit/batch",
      summary:
        "Submit up to 5,000 sheets (8 MiB) as a JSON array or NDJSON (Content-Type: application/x-ndjson), in one all-or-nothing transaction.",
      curl:
        `curl -X POST ${base}/api/submit/batch -H 'Content-Type: application/x-ndjson' --data-binary @outputs/stat_sheets.ndjson`,
    },
    {
      method: "GET",
      path: "/api/stats",
      summary:
        "Stored sheets, newest first. Filters: match_id, match_prefix, player_id, game_mode, item (sheets that looted it), since and until (ISO 8601), limit (default 1,000, max 10,000), offset, cursor. The answer's next is the cursor of the following page (null on the last), stable while inserts continue.",
      curl: `curl '${base}/api/stats?match_id=match_001&limit=10'`,
    },
    {
      method: "GET",
      path: "/api/aggregate",
      summary:
        "Total units per item and distinct matches, players and sheets, from rollups. Filters: match_id, match_prefix, game_mode, since, until.",
      curl: `curl ${base}/api/aggregate`,
    },
    {
      method: "GET",
      path: "/api/heatmap/{item}",
      summary:
        "Every looted unit's location for an item (a location repeated once per unit, at most 100,000 points, streamed; past that 422 naming ?bins=), or with ?bins=N (1–200) a bins × bins grid of unit counts over the map. Both take match_prefix and game_mode.",
      curl: `curl '${base}/api/heatmap/rubber_duck?bins=20'`,
    },
    {
      method: "GET",
      path: "/api/aggregate?group_by={dimension}",
      summary:
        "Totals per group: group_by is game_mode, player_level, hour or day (keys sorted, numerically for levels; hour and day keys are the bucket's ISO start; sheets without the field in a last group with key null). Takes the aggregate's filters.",
      curl: `curl '${base}/api/aggregate?group_by=game_mode'`,
    },
    {
      method: "GET",
      path: "/api/timeseries",
      summary:
        "Sheets, units and units per item per minute, hour or day (interval, required), oldest first, empty buckets included. Filters: item (then sheets that looted it and its units), game_mode, match_prefix, since, until. At most 10,000 buckets.",
      curl: `curl '${base}/api/timeseries?interval=hour&item=rubber_duck'`,
    },
    {
      method: "GET",
      path: "/api/players",
      summary:
        "Players, most matches first: matches, units, last level and last seen. limit (default 100, max 1,000), cursor (the answer's next), game_mode (only that mode's matches).",
      curl: `curl '${base}/api/players?limit=10'`,
    },
    {
      method: "GET",
      path: "/api/players/{player_id}",
      summary:
        "One player's matches (oldest first, with mode, level and units), first and last seen, and totals per item; 404 for a player never seen.",
      curl: `curl '${base}/api/players/player_1_1'`,
    },
    {
      method: "GET",
      path: "/api/experiments",
      summary:
        "Every experiment with its variants' sheets and players (sheets carry experiment and variant).",
      curl: `curl ${base}/api/experiments`,
    },
    {
      method: "GET",
      path: "/api/experiments/{name}",
      summary:
        "Per-variant means over players, Welch's t-test of each variant against control (difference, relative difference, confidence interval, p-value) and the sample-ratio check. metric=units or item:<item>, control, split (shares in variant-name order), alpha.",
      curl: `curl '${base}/api/experiments/drop_boost?metric=units'`,
    },
    {
      method: "GET",
      path: "/api/anomalies",
      summary:
        "Sheets the anomaly rules flag (loot rate far above the mode's median, locations off the map, stacked locations), newest first, with the rules and a score. limit, cursor, game_mode.",
      curl: `curl '${base}/api/anomalies?limit=20'`,
    },
    {
      method: "GET",
      path: "/api/export",
      summary:
        "Every matching sheet as a file, streamed: format=csv (RFC 4180, one row per sheet, a count and x/y column per item, text cells starting with = + - @ prefixed with ' against spreadsheet formulas), ndjson (the /api/stats objects) or parquet (typed columns). Takes the /api/stats filters (match_id, match_prefix, player_id, item, game_mode, since, until); gzipped when the client accepts it.",
      curl: `curl -OJ --compressed '${base}/api/export?format=csv&game_mode=solo'`,
    },
    {
      method: "GET",
      path: "/api/live",
      summary:
        'A WebSocket: first {"type":"snapshot","data":<the /api/aggregate data>}, then after commits {"type":"ingest","sheets":n,"total_items":{item:units added},"at":ISO}, at most one per 250 ms. Optional game_mode. When the server has a read key, send it in a header or pass ?ticket= from POST /api/live/ticket.',
      curl: `websocat ${base.replace(/^http/, "ws")}/api/live`,
    },
    {
      method: "GET",
      path: "/api/live/events",
      summary:
        "The same messages as Server-Sent Events (data: lines), for curl -N and EventSource. Optional game_mode.",
      curl: `curl -N ${base}/api/live/events`,
    },
    {
      method: "POST",
      path: "/api/live/ticket",
      summary:
        "With the read key in a header: a single-use ticket valid for 30 s, for browsers, which cannot set headers on a WebSocket or EventSource: connect to /api/live?ticket=…",
      curl: `curl -X POST ${base}/api/live/ticket -H "Authorization: Bearer $LOOT_READ_KEY"`,
    },
    {
      method: "GET",
      path: "/dashboard",
      summary:
        "A live dashboard in the browser: loot totals, a heatmap per item, sheets per second over the last five minutes and the newest sheets, updating as sheets arrive. Works offline (no CDN).",
      curl: `open ${base}/dashboard`,
    },
    {
      method: "POST",
      path: "/api/clear",
      summary:
        "Delete every sheet. Refused unless the server was started with --admin-key and the request sends it.",
      curl: `curl -X POST ${base}/api/clear -H "Authorization: Bearer $LOOT_ADMIN_KEY"`,
    },
  ];
}

/** `GET /`: a self-contained page documenting every endpoint with a curl example; mounted at `/`. */
export function createHomeRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get(
    "/",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        baseUri: ["'none'"],
      },
    }),
    (c) => c.html(renderHomePage(new URL(c.req.url).origin)),
  );
}

/** Renders the API documentation page; `base` is the origin shown in the curl examples. */
export function renderHomePage(base: string): string {
  const rows = describeEndpoints(base).map((endpoint) => `
    <section>
      <h2><span class="method">${endpoint.method}</span> <code>${
    escapeHtml(endpoint.path)
  }</code></h2>
      <p>${escapeHtml(endpoint.summary)}</p>
      <pre>${escapeHtml(endpoint.curl)}</pre>
    </section>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Loot Telemetry API</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1f2933; }
    section { background: #f5f7fa; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
    h2 { font-size: 1.1rem; }
    .method { color: #0b69a3; }
    pre { background: #1f2933; color: #f5f7fa; padding: 0.75rem; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
  </style>
</head>
<body>
  <h1>Loot Telemetry API</h1>
  <p>Game clients send one stat sheet per player per match; this server stores them in SQLite and answers
  listings, aggregates and heatmaps. It is wire-compatible with the original Loot Telemetry Simulator.
  Errors are JSON: <code>{"error": "…", "code": "…"}</code>, with <code>problems</code> naming each bad field.
  Bodies may be gzipped (<code>Content-Encoding: gzip</code>). When the server is started with keys, send them as
  <code>Authorization: Bearer KEY</code> or <code>X-API-Key: KEY</code>: the write key for submissions, the read key for
  queries, the admin key for everything.</p>
  <p><a href="/dashboard"><strong>Live dashboard</strong></a> · <a href="/api/aggregate">Current totals</a> · <a href="/api/stats?limit=20">Newest sheets</a> · <a href="/api/health">Health</a></p>
  ${rows}
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}
