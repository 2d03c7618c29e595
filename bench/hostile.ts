/**
 * Hostile requests against a real server process: the heaviest request of each class the
 * hardening work bounded, each sent while a second client polls `/api/health`; the worst health
 * latency a single request imposes, and the server's peak memory across the whole bad-input suite.
 * @module
 */
import { MAX_HEATMAP_POINTS, simulateMatches } from "../lib/mod.ts";
import { readProcessMemory, type ServerProcess } from "../server/child_process.ts";
import { CASES } from "../tests/bad_input_cases.ts";

/** The worst `/api/health` latency while one heavy request of a class was being answered. */
export interface HostileFigure {
  name: string;
  /** Status the heavy request got (each is refused or bounded, never a 5xx). */
  status: number;
  /** How long the heavy request itself took, ms. */
  requestMs: number;
  /** Worst health-check latency while it ran, ms. */
  worstHealthMs: number;
}

const MIB = 1024 * 1024;
const encoder = new TextEncoder();

interface HeavyRequest {
  name: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
}

/** The heaviest request of each class, each as large as the server's limits let it be. */
function buildHeavyRequests(writeKey: string): HeavyRequest[] {
  // Authenticated, so each request reaches the work it is meant to cost.
  const ndjson = { "content-type": "application/x-ndjson", "x-api-key": writeKey };
  const json = { "content-type": "application/json", "x-api-key": writeKey };
  const sheets = [...simulateMatches({ matches: 1_250, matchPrefix: "hostile" })];
  const lines = sheets.map((sheet) => JSON.stringify(sheet));
  const badItems = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`item_${i}`, -1]));
  const invalidFields = JSON.stringify(
    Array.from(
      { length: 2_000 },
      (_, i) => ({ match_id: `h${i}`, player_id: "p", looted_items: badItems }),
    ),
  );
  return [
    {
      name: "5,000-line NDJSON batch, invalid UTF-8 in its last line",
      path: "/api/submit/batch",
      headers: ndjson,
      body: new Uint8Array([
        ...encoder.encode(`${lines.slice(0, 4_999).join("\n")}\n{"match_id":"`),
        0xc3,
        0x28,
        ...encoder.encode(`"}\n`),
      ]),
    },
    {
      name: `batch with ${(2_000 * 256).toLocaleString("en-US")} invalid fields (7.6 MiB)`,
      path: "/api/submit/batch",
      headers: json,
      body: encoder.encode(invalidFields),
    },
    {
      name: "8 MiB of nesting as one JSON array",
      path: "/api/submit/batch",
      headers: json,
      body: encoder.encode("[".repeat(8 * MIB - 16)),
    },
    {
      name: "8 MiB of nesting as one NDJSON line",
      path: "/api/submit/batch",
      headers: ndjson,
      body: encoder.encode("[".repeat(8 * MIB - 16)),
    },
    {
      name: "one 8 MiB NDJSON line",
      path: "/api/submit/batch",
      headers: ndjson,
      body: encoder.encode(
        `{"match_id":"line","player_id":"p","looted_items":{},"notes":"${
          "x".repeat(8 * MIB - 100)
        }"}`,
      ),
    },
    {
      name: `heatmap points at the limit (${MAX_HEATMAP_POINTS.toLocaleString("en-US")})`,
      path: "/api/heatmap/whale_item?match_prefix=whale_a",
    },
    {
      name: "heatmap points past the limit (422)",
      path: "/api/heatmap/whale_item",
    },
    {
      name: "100 wrong keys from one address (10 × 403, then 429)",
      path: "/api/submit",
      headers: { "content-type": "application/json", "x-api-key": "guess" },
      body: encoder.encode("{}"),
    },
  ];
}

/**
 * Runs each heavy request against `server` (started with `--write-key`) while polling its health,
 * then replays the bad-input suite; returns the figures and the server's peak RSS in bytes.
 */
export async function benchHostileRequests(
  server: ServerProcess,
  writeKey: string,
): Promise<{ figures: HostileFigure[]; peakRss: number; suiteRequests: number; suite5xx: number }> {
  const auth = { "x-api-key": writeKey, "content-type": "application/json" };
  // Two whales: one at the points limit (its own prefix), both together past it.
  for (const [match_id, units] of [["whale_a", MAX_HEATMAP_POINTS], ["whale_b", 10]] as const) {
    const response = await fetch(`${server.url}/api/submit`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        match_id,
        player_id: "p",
        looted_items: { whale_item: units },
        locations: { whale_item: [50, 50] },
      }),
    });
    await response.body?.cancel();
  }
  // The suite first: the wrong-key storm, last, blocks this address's key checks for a minute.
  let suite5xx = 0;
  for (const request of CASES) {
    const response = await fetch(`${server.url}${request.path}`, {
      method: request.method ?? "GET",
      headers: { ...request.headers, "x-api-key": writeKey },
      body: request.body,
    });
    if (response.status >= 500) suite5xx++;
    await response.body?.cancel();
  }
  const figures: HostileFigure[] = [];
  for (const request of buildHeavyRequests(writeKey)) {
    const repeats = request.name.startsWith("100 wrong keys") ? 100 : 1;
    figures.push(await measureUnderHealthPolling(server.url, request, repeats));
  }
  const { peakRss } = await readProcessMemory(server.child.pid);
  return { figures, peakRss, suiteRequests: CASES.length, suite5xx };
}

async function measureUnderHealthPolling(
  base: string,
  request: HeavyRequest,
  repeats: number,
): Promise<HostileFigure> {
  let polling = true;
  let worstHealthMs = 0;
  const poller = (async () => {
    // Bounded: at most 10,000 polls, and it stops when the heavy request is answered.
    for (let poll = 0; polling && poll < 10_000; poll++) {
      const t0 = performance.now();
      const response = await fetch(`${base}/api/health`);
      await response.body?.cancel();
      worstHealthMs = Math.max(worstHealthMs, performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 20)); // the poller is running
  const t0 = performance.now();
  let status = 0;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const response = await fetch(`${base}${request.path}`, {
      method: request.method ?? (request.body ? "POST" : "GET"),
      headers: request.headers,
      body: request.body,
    });
    status = response.status;
    await response.arrayBuffer();
  }
  const requestMs = performance.now() - t0;
  polling = false;
  await poller;
  return { name: request.name, status, requestMs, worstHealthMs };
}
