import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../deps.ts";
import { HttpError } from "../http_error.ts";

/**
 * Files the dashboard loads, all from this server: its own script and style, and Vega, Vega-Lite,
 * vega-embed and vega-interpreter from the installed npm packages (no CDN, so it works offline).
 */
const ASSETS: Readonly<Record<string, { url: URL; type: string }>> = Object.freeze({
  "dashboard.js": { url: new URL("../static/dashboard.js", import.meta.url), type: "js" },
  "dashboard.css": { url: new URL("../static/dashboard.css", import.meta.url), type: "css" },
  "vega.min.js": { url: vendor("vega/build/vega.min.js"), type: "js" },
  "vega-lite.min.js": { url: vendor("vega-lite/build/vega-lite.min.js"), type: "js" },
  "vega-interpreter.min.js": {
    url: vendor("vega-interpreter/build/vega-interpreter.min.js"),
    type: "js",
  },
  "vega-embed.min.js": { url: vendor("vega-embed/build/vega-embed.min.js"), type: "js" },
});

function vendor(path: string): URL {
  return new URL(`../../node_modules/${path}`, import.meta.url);
}

const MEDIA: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/**
 * The dashboard's policy: scripts and styles only from this origin (no inline script, no eval:
 * Vega runs its expressions through vega-interpreter), connections only back to it (fetch, the
 * WebSocket), nothing framed.
 */
const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** `GET /dashboard` and its `/assets/*`; mounted at `/`. */
export function createDashboardRoutes(): Hono<AppEnv> {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const headers = secureHeaders({ contentSecurityPolicy: DASHBOARD_CSP });
  return new Hono<AppEnv>()
    .get("/dashboard", headers, (c) => c.html(DASHBOARD_HTML))
    .get("/assets/:name", headers, async (c) => {
      const name = c.req.param("name");
      const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!asset) {
        throw new HttpError(404, `No asset ${JSON.stringify(name.slice(0, 80))}`, {
          code: "not_found",
        });
      }
      let bytes = cache.get(name);
      if (!bytes) {
        try {
          bytes = await Deno.readFile(asset.url);
        } catch {
          throw new HttpError(
            503,
            `The dashboard asset ${name} is missing from node_modules: run deno install`,
            { code: "asset_missing" },
          );
        }
        cache.set(name, bytes);
      }
      return c.body(bytes, 200, {
        "content-type": MEDIA[asset.type]!,
        "cache-control": "public, max-age=3600",
      });
    });
}

const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Loot Telemetry · Live dashboard</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/assets/dashboard.css">
  <script src="/assets/vega.min.js" defer></script>
  <script src="/assets/vega-lite.min.js" defer></script>
  <script src="/assets/vega-interpreter.min.js" defer></script>
  <script src="/assets/vega-embed.min.js" defer></script>
  <script src="/assets/dashboard.js" defer></script>
</head>
<body>
  <header>
    <h1>Loot Telemetry <span>live</span></h1>
    <p id="status" data-state="connecting">Connecting…</p>
  </header>
  <form id="key-form" hidden>
    <label>This server needs its read key: <input id="key" type="password" autocomplete="off"></label>
    <button type="submit">Connect</button>
  </form>
  <main>
    <section class="card" id="summary">
      <div><strong id="sheets">0</strong><span>sheets</span></div>
      <div><strong id="matches">0</strong><span>matches</span></div>
      <div><strong id="players">0</strong><span>players</span></div>
      <div><strong id="units">0</strong><span>units looted</span></div>
    </section>
    <section class="card">
      <h2>Loot totals</h2>
      <div id="totals-chart" class="chart"></div>
      <table id="totals"><thead><tr><th>Item</th><th class="number">Units</th></tr></thead><tbody></tbody></table>
    </section>
    <section class="card">
      <h2>Where <select id="item" aria-label="Item"></select> was looted</h2>
      <div id="heatmap-chart" class="chart"></div>
    </section>
    <section class="card">
      <h2>Sheets per second, last five minutes</h2>
      <div id="rate-chart" class="chart"></div>
    </section>
    <section class="card wide">
      <h2>Newest sheets</h2>
      <table id="newest"><thead><tr><th>Id</th><th>Match</th><th>Player</th><th>Mode</th><th>Time</th><th>Units</th></tr></thead><tbody></tbody></table>
    </section>
  </main>
  <footer>Updates arrive over <code>/api/live</code>; <a href="/">API documentation</a></footer>
</body>
</html>
`;
