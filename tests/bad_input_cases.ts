import { gzipSync } from "node:zlib";
import { makeSheet } from "./fixtures.ts";

/** One malformed request and the answer it must get. */
export interface BadRequest {
  name: string;
  method?: string;
  path: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  status: number;
  error: RegExp;
}

export const JSON_TYPE = { "content-type": "application/json" };
export const NDJSON_TYPE = { "content-type": "application/x-ndjson" };
export const sheet = (overrides: Record<string, unknown>) => JSON.stringify(makeSheet(overrides));
const submit = (name: string, body: string, status: number, error: RegExp): BadRequest => ({
  name,
  method: "POST",
  path: "/api/submit",
  body,
  headers: JSON_TYPE,
  status,
  error,
});
const batch = (
  name: string,
  body: BodyInit,
  status: number,
  error: RegExp,
  headers = JSON_TYPE,
): BadRequest => ({
  name,
  method: "POST",
  path: "/api/submit/batch",
  body,
  headers,
  status,
  error,
});
const get = (name: string, path: string, status: number, error: RegExp): BadRequest => ({
  name,
  path,
  status,
  error,
});

/**
 * The bad-input suite: malformed requests of every kind, each with its expected 4xx and error text.
 * Shared by the in-process test and the benchmark that replays it against a server process.
 */
export const CASES: BadRequest[] = [
  // Malformed bodies
  submit("invalid JSON", "{not json", 400, /^Malformed JSON/),
  submit("truncated JSON", '{"match_id": "m1", "player_id"', 400, /^Malformed JSON/),
  submit("empty body", "", 400, /Request body is empty: send one JSON stat sheet/),
  submit("whitespace body", "  \n ", 400, /Request body is empty/),
  submit("top-level null", "null", 400, /Stat sheet must be a JSON object, got null/),
  submit("top-level string", '"sheet"', 400, /Stat sheet must be a JSON object, got string/),
  submit("top-level number", "42", 400, /Stat sheet must be a JSON object, got number/),
  submit("top-level boolean", "true", 400, /got boolean/),
  submit("an empty array", "[]", 400, /send arrays to \/api\/submit\/batch/),
  submit("an array of sheets", `[${sheet({})}]`, 400, /send arrays to \/api\/submit\/batch/),
  {
    name: "no content type",
    method: "POST",
    path: "/api/submit",
    body: new TextEncoder().encode(sheet({})),
    status: 415,
    error: /Content-Type must be application\/json, got none/,
  },
  {
    name: "text/plain",
    method: "POST",
    path: "/api/submit",
    body: sheet({}),
    headers: { "content-type": "text/plain" },
    status: 415,
    error: /got "text\/plain"/,
  },
  {
    name: "form data",
    method: "POST",
    path: "/api/submit",
    body: "a=1",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
    error: /Content-Type must be/,
  },
  {
    name: "invalid UTF-8",
    method: "POST",
    path: "/api/submit",
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    headers: JSON_TYPE,
    status: 400,
    error: /could not be read/,
  },
  // Hardening round two: accepted-and-altered inputs are refused, never stored changed.
  batch(
    "invalid UTF-8 inside an NDJSON line",
    new Uint8Array([
      ...new TextEncoder().encode(`${sheet({ match_id: "utf_1" })}\n{"match_id":"`),
      0xc3,
      0x28,
      ...new TextEncoder().encode(`","player_id":"p"}\n`),
    ]),
    400,
    /\[line 2\] is not valid JSON: it is not valid UTF-8/,
    NDJSON_TYPE,
  ),
  batch(
    "invalid UTF-8 inside a JSON array",
    new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]),
    400,
    /could not be read/,
  ),
  submit(
    "year 0099 (not 1999)",
    sheet({ timestamp: "0099-06-01T00:00:00Z" }),
    400,
    /timestamp must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, got "0099-06-01T00:00:00Z"/,
  ),
  submit(
    "year 1969",
    sheet({ timestamp: "1969-12-31T23:59:59Z" }),
    400,
    /timestamp must lie between 1970-01-01/,
  ),
  submit(
    "offset +99:99",
    sheet({ timestamp: "2025-10-23T10:30:00+99:99" }),
    400,
    /offset Z or ±hh:mm/,
  ),
  submit(
    "offset +24:00",
    sheet({ timestamp: "2025-10-23T10:30:00+24:00" }),
    400,
    /got "2025-10-23T10:30:00\+24:00"/,
  ),
  submit(
    "offset -23:60",
    sheet({ timestamp: "2025-10-23T10:30:00-23:60" }),
    400,
    /ISO 8601 date-time/,
  ),
  submit(
    "offset without colon",
    sheet({ timestamp: "2025-10-23T10:30:00+0200" }),
    400,
    /offset Z or ±hh:mm/,
  ),
  submit(
    "1e400 in extra",
    sheet({ match_id: "num_1" }).replace(/}$/, ',"meta":{"score":1e400}}'),
    400,
    /meta\.score must be a finite number that JSON readers hold exactly .* got Infinity/,
  ),
  submit(
    "integer beyond 2^53 in extra",
    sheet({ match_id: "num_2" }).replace(/}$/, ',"ids":[1,9007199254740993]}'),
    400,
    /ids\[1\] must be a finite number that JSON readers hold exactly/,
  ),
  submit(
    "sent_at 30 days behind the server",
    sheet({ match_id: "skew_1", sent_at: new Date(Date.now() - 30 * 86_400_000).toISOString() }),
    400,
    /sent_at is 30\.0 days behind the server clock \(at most 7 days of clock skew is corrected\)/,
  ),
  submit(
    "sent_at correction moving the timestamp before 1970",
    sheet({
      match_id: "skew_2",
      timestamp: "1970-01-02T00:00:00Z",
      sent_at: new Date(Date.now() + 6 * 86_400_000).toISOString(),
    }),
    400,
    /timestamp corrected for clock skew must lie between 1970-01-01/,
  ),
  // Hardening round two: requests that would cost everyone are refused cheaply.
  submit(
    "400,000 levels of nesting",
    `{"match_id":"deep","player_id":"p","looted_items":{},"meta":${"[".repeat(400_000)}${
      "]".repeat(400_000)
    }}`,
    400,
    /JSON nests deeper than the limit of 32 levels/,
  ),
  batch(
    "a million levels of nesting in NDJSON",
    `${"[".repeat(1_000_000)}\n`,
    400,
    /\[line 1\] is not valid JSON: JSON nests deeper than the limit of 32 levels/,
    NDJSON_TYPE,
  ),
  {
    name: "Transfer-Encoding other than chunked",
    method: "POST",
    path: "/api/submit",
    body: sheet({ match_id: "te_1" }),
    headers: { ...JSON_TYPE, "transfer-encoding": "gzip, chunked" },
    status: 400,
    error: /Transfer-Encoding "gzip, chunked" is not supported/,
  },
  submit(
    "129 emoji as a player_id",
    sheet({ match_id: "emoji_1", player_id: "🦆".repeat(129) }),
    400,
    /player_id must be at most 128 characters \(Unicode code points\), got 129/,
  ),
  // Ids
  submit("missing match_id", sheet({ match_id: undefined }), 400, /match_id is required/),
  submit("missing player_id", sheet({ player_id: undefined }), 400, /player_id is required/),
  submit("empty match_id", sheet({ match_id: "" }), 400, /match_id must not be empty/),
  submit(
    "overlong player_id",
    sheet({ player_id: "p".repeat(129) }),
    400,
    /player_id must be at most 128 characters \(Unicode code points\), got 129/,
  ),
  submit("numeric match_id", sheet({ match_id: 7 }), 400, /match_id must be a string, got number/),
  submit(
    "object player_id",
    sheet({ player_id: { id: 1 } }),
    400,
    /player_id must be a string, got object/,
  ),
  submit(
    "control character",
    sheet({ match_id: "m\u0007" }),
    400,
    /match_id must not contain control characters/,
  ),
  submit(
    "newline in id",
    sheet({ player_id: "a\nb" }),
    400,
    /player_id must not contain control characters/,
  ),
  submit(
    "lone surrogate",
    '{"match_id":"m","player_id":"\\ud800","looted_items":{}}',
    400,
    /lone surrogate/,
  ),
  // Counts
  submit(
    "missing looted_items",
    sheet({ looted_items: undefined, locations: undefined }),
    400,
    /looted_items is required/,
  ),
  submit(
    "looted_items array",
    sheet({ looted_items: [3], locations: undefined }),
    400,
    /looted_items must be an object of item name to count, got array/,
  ),
  submit(
    "looted_items string",
    sheet({ looted_items: "medkit", locations: undefined }),
    400,
    /got string/,
  ),
  submit(
    "negative count",
    sheet({ looted_items: { medkit: -2 }, locations: {} }),
    400,
    /looted_items\.medkit must be an integer from 0 to 1000000, got -2/,
  ),
  submit(
    "fractional count",
    sheet({ looted_items: { medkit: 1.5 }, locations: {} }),
    400,
    /got 1\.5/,
  ),
  submit("string count", sheet({ looted_items: { medkit: "3" }, locations: {} }), 400, /got "3"/),
  submit(
    "huge count",
    sheet({ looted_items: { medkit: 1e12 }, locations: {} }),
    400,
    /got 1000000000000/,
  ),
  submit("null count", sheet({ looted_items: { medkit: null }, locations: {} }), 400, /got null/),
  submit(
    "boolean count",
    sheet({ looted_items: { medkit: true }, locations: {} }),
    400,
    /got true/,
  ),
  submit(
    "NaN as a bare word",
    '{"match_id":"m","player_id":"p","looted_items":{"medkit":NaN}}',
    400,
    /^Malformed JSON/,
  ),
  // Item names
  submit(
    "uppercase item",
    sheet({ looted_items: { Medkit: 1 }, locations: {} }),
    400,
    /invalid item name: it must match/,
  ),
  submit(
    "item with a space",
    sheet({ looted_items: { "med kit": 1 }, locations: {} }),
    400,
    /"med kit"/,
  ),
  submit(
    "item with a dash",
    sheet({ looted_items: { "med-kit": 1 }, locations: {} }),
    400,
    /"med-kit"/,
  ),
  submit(
    "item starting with a digit",
    sheet({ looted_items: { "1up": 1 }, locations: {} }),
    400,
    /"1up"/,
  ),
  submit(
    "item of 65 characters",
    sheet({ looted_items: { ["a".repeat(65)]: 1 }, locations: {} }),
    400,
    /invalid item name/,
  ),
  submit(
    "__proto__ item",
    '{"match_id":"m","player_id":"p","looted_items":{"__proto__":1}}',
    400,
    /invalid item name/,
  ),
  submit(
    "constructor item",
    sheet({ looted_items: { constructor: 1 }, locations: {} }),
    400,
    /"constructor" is reserved/,
  ),
  submit("empty item name", sheet({ looted_items: { "": 1 }, locations: {} }), 400, /got ""/),
  submit(
    "SQL in an item name",
    sheet({ looted_items: { "x'); DROP TABLE stat_sheets;--": 1 }, locations: {} }),
    400,
    /invalid item name/,
  ),
  // Locations
  submit(
    "location of one number",
    sheet({ locations: { medkit: [1] } }),
    400,
    /locations\.medkit must be \[x, y\] with two finite numbers, got \[1\]/,
  ),
  submit(
    "location of three numbers",
    sheet({ locations: { medkit: [1, 2, 3] } }),
    400,
    /got \[1,2,3\]/,
  ),
  submit(
    "non-numeric location",
    sheet({ locations: { medkit: ["a", "b"] } }),
    400,
    /two finite numbers/,
  ),
  submit(
    "location as a string",
    sheet({ locations: { medkit: "1,2" } }),
    400,
    /two finite numbers/,
  ),
  submit("null coordinate", sheet({ locations: { medkit: [null, 1] } }), 400, /two finite numbers/),
  submit(
    "infinite coordinate",
    '{"match_id":"m","player_id":"p","looted_items":{"medkit":1},"locations":{"medkit":[1e400,1]}}',
    400,
    /two finite numbers/,
  ),
  submit(
    "location for an unlooted item",
    sheet({ locations: { shield: [1, 2] } }),
    400,
    /locations\.shield is given for an item that is not in looted_items/,
  ),
  submit(
    "locations as an array",
    sheet({ locations: [[1, 2]] }),
    400,
    /locations must be an object of item name to \[x, y\], got array/,
  ),
  // Timestamps and metrics
  submit(
    "timestamp not a date",
    sheet({ timestamp: "yesterday" }),
    400,
    /timestamp must be an ISO 8601 date-time/,
  ),
  submit("timestamp as a number", sheet({ timestamp: 1761215400 }), 400, /got 1761215400/),
  submit(
    "impossible date",
    sheet({ timestamp: "2025-02-30T10:00:00Z" }),
    400,
    /timestamp must be an ISO 8601/,
  ),
  submit(
    "timestamp years ahead",
    sheet({ timestamp: "2099-01-01T00:00:00Z" }),
    400,
    /h ahead of the server clock/,
  ),
  submit("bad sent_at", sheet({ sent_at: "soon" }), 400, /sent_at must be an ISO 8601 date-time/),
  submit(
    "negative duration",
    sheet({ match_duration: -5 }),
    400,
    /match_duration must be an integer from 0/,
  ),
  submit("fractional level", sheet({ player_level: 2.5 }), 400, /player_level must be an integer/),
  submit(
    "level as a string",
    sheet({ player_level: "23" }),
    400,
    /player_level must be an integer/,
  ),
  // Extras
  submit(
    "deeply nested extra",
    sheet({ meta: JSON.parse("[".repeat(20) + "]".repeat(20)) }),
    400,
    /nest at most 16 levels deep/,
  ),
  submit(
    "oversized extra",
    sheet({ notes: "x".repeat(20_000) }),
    400,
    /more than the limit of 16384/,
  ),
  submit(
    "server-assigned id",
    sheet({ id: 12 }),
    400,
    /id is assigned by the server and must not be sent/,
  ),
  submit(
    "server-assigned created_at",
    sheet({ created_at: "2025-01-01" }),
    400,
    /created_at is assigned by the server/,
  ),
  // Sizes
  submit(
    "body over 1 MiB",
    sheet({ pad: "x".repeat(1_100_000) }),
    413,
    /exceeds the limit of 1 MiB/,
  ),
  {
    name: "gzip bomb",
    method: "POST",
    path: "/api/submit/batch",
    body: new Uint8Array(gzipSync(new Uint8Array(20 * 1024 * 1024).fill(32))),
    headers: { ...JSON_TYPE, "content-encoding": "gzip" },
    status: 413,
    error: /exceeds the limit of 8 MiB once decompressed/,
  },
  // Batches
  batch(
    "batch of an object",
    sheet({}),
    400,
    /Batch must be a JSON array of stat sheets, got object/,
  ),
  batch("empty batch", "[]", 400, /Batch must hold at least one stat sheet/),
  batch("batch holding null", "[null]", 400, /\[0\] must be a JSON object, got null/),
  batch(
    "one bad sheet among good ones",
    JSON.stringify([
      makeSheet({ player_id: "q1" }),
      makeSheet({ player_id: "q2" }),
      makeSheet({ player_id: "q3", looted_items: { medkit: -1 }, locations: {} }),
    ]),
    400,
    /\[2\]\.looted_items\.medkit must be an integer/,
  ),
  batch(
    "more sheets than allowed",
    JSON.stringify(
      Array.from(
        { length: 5_001 },
        (_, i) => ({ match_id: "b", player_id: `p${i}`, looted_items: {} }),
      ),
    ),
    400,
    /holds 5001 stat sheets, more than the limit of 5000/,
  ),
  batch(
    "batch over 8 MiB",
    JSON.stringify([makeSheet({ pad: "x".repeat(9 * 1024 * 1024) })]),
    413,
    /exceeds the limit of 8 MiB/,
  ),
  batch(
    "malformed NDJSON line",
    `${sheet({ player_id: "n1" })}\n{oops\n`,
    400,
    /\[line 2\] is not valid JSON/,
    NDJSON_TYPE,
  ),
  batch(
    "empty NDJSON",
    "\n\n",
    400,
    /Request body is empty: send one stat sheet per line/,
    NDJSON_TYPE,
  ),
  batch(
    "CSV content type",
    "match_id,player_id\nm,p\n",
    415,
    /Content-Type must be application\/json or application\/x-ndjson/,
    { "content-type": "text/csv" },
  ),
  batch(
    "NDJSON line of an array",
    "[1,2]\n",
    400,
    /\[0\] must be a JSON object, got array/,
    NDJSON_TYPE,
  ),
  // Query parameters
  get(
    "negative limit",
    "/api/stats?limit=-1",
    400,
    /limit must be an integer from 1 to 10000, got "-1"/,
  ),
  get("non-numeric limit", "/api/stats?limit=abc", 400, /got "abc"/),
  get("zero limit", "/api/stats?limit=0", 400, /limit must be an integer from 1/),
  get("limit over the maximum", "/api/stats?limit=10001", 400, /from 1 to 10000/),
  get("fractional limit", "/api/stats?limit=1.5", 400, /got "1\.5"/),
  get("negative offset", "/api/stats?offset=-1", 400, /offset must be an integer from 0/),
  get("bad since", "/api/stats?since=notadate", 400, /since must be an ISO 8601 date-time/),
  get("bad until", "/api/stats?until=2025-13-01", 400, /until must be an ISO 8601/),
  get(
    "bad item filter",
    "/api/stats?item=Bad!Name",
    400,
    /item has an invalid item name|item must match/,
  ),
  get(
    "empty match_id",
    "/api/stats?match_id=",
    400,
    /match_id must be 1 to 128 characters \(Unicode code points\), got 0/,
  ),
  get("overlong match_id", `/api/stats?match_id=${"m".repeat(200)}`, 400, /got 200/),
  get(
    "unknown parameter",
    "/api/stats?matchid=match_001",
    400,
    /Unknown query parameter "matchid"; allowed here: match_id/,
  ),
  get("repeated parameter", "/api/stats?limit=1&limit=2", 400, /given more than once/),
  get("zero cursor", "/api/stats?cursor=0", 400, /cursor must be an integer from 1/),
  get(
    "aggregate with a bad since",
    "/api/aggregate?since=garbage",
    400,
    /since must be an ISO 8601/,
  ),
  get("aggregate with limit", "/api/aggregate?limit=5", 400, /Unknown query parameter "limit"/),
  get(
    "zero bins",
    "/api/heatmap/medkit?bins=0",
    400,
    /bins must be an integer from 1 to 200, got "0"/,
  ),
  get("too many bins", "/api/heatmap/medkit?bins=201", 400, /got "201"/),
  get("non-numeric bins", "/api/heatmap/medkit?bins=many", 400, /got "many"/),
  get("negative bins", "/api/heatmap/medkit?bins=-5", 400, /got "-5"/),
  get(
    "heatmap of a bad item",
    "/api/heatmap/Rubber%20Duck",
    400,
    /item must match .*, got "Rubber Duck"/,
  ),
  get("heatmap of __proto__", "/api/heatmap/__proto__", 400, /item must match .*, got "__proto__"/),
  get(
    "SQL in the heatmap path",
    "/api/heatmap/x'%3B%20DROP%20TABLE%20stat_sheets%3B--",
    400,
    /item must match/,
  ),
  // Export and live
  get(
    "export without a format",
    "/api/export",
    400,
    /format is required: one of csv, ndjson, parquet/,
  ),
  get(
    "export as xlsx",
    "/api/export?format=xlsx",
    400,
    /format must be one of csv, ndjson, parquet, got "xlsx"/,
  ),
  get(
    "export with paging",
    "/api/export?format=csv&limit=10",
    400,
    /Unknown query parameter "limit"/,
  ),
  get(
    "export with a bad since",
    "/api/export?format=csv&since=yesterday",
    400,
    /since must be an ISO 8601/,
  ),
  get("live without an upgrade", "/api/live", 426, /use GET \/api\/live\/events/),
  get(
    "live with a bad game_mode",
    "/api/live/events?game_mode=Solo%20Mode",
    400,
    /game_mode must match/,
  ),
  get(
    "live with a malformed ticket",
    "/api/live/events?ticket=%3Cscript%3E",
    400,
    /ticket must be the ticket/,
  ),
  get(
    "live with the key in the URL",
    "/api/live/events?key=secret",
    400,
    /Unknown query parameter "key"/,
  ),
  get("a dashboard asset that is not one", "/assets/..%2F..%2Fdeno.json", 404, /No asset/),
  // Routes and methods
  {
    name: "DELETE a listing",
    method: "DELETE",
    path: "/api/stats",
    status: 405,
    error: /Method DELETE is not allowed on \/api\/stats; use GET/,
  },
  get("GET the submit endpoint", "/api/submit", 405, /use POST/),
  { name: "PUT clear", method: "PUT", path: "/api/clear", status: 405, error: /use POST/ },
  get("unknown path", "/api/nope", 404, /No endpoint at GET \/api\/nope/),
  {
    name: "clear without a key",
    method: "POST",
    path: "/api/clear",
    status: 401,
    error: /needs the admin key/,
  },
  {
    name: "clear with a wrong key",
    method: "POST",
    path: "/api/clear",
    headers: { authorization: "Bearer guess" },
    status: 403,
    error: /not the admin key/,
  },
];
