import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import {
  fingerprintSheet,
  MAX_FUTURE_MS,
  prepareSheet,
  prepareSheets,
  type StatSheet,
  ValidationError,
} from "../lib/mod.ts";
import { makeTempDir } from "./fixtures.ts";

const receivedAt = new Date("2026-01-01T12:00:00Z");
const sheet: StatSheet = {
  match_id: "m1",
  player_id: "p1",
  timestamp: "2026-01-01T11:00:00Z",
  looted_items: { medkit: 1 },
  locations: { medkit: [1, 2] },
};

Deno.test("prepareSheet() keeps a timestamp as sent, and stamps a missing one with the receipt time", () => {
  deepStrictEqual(prepareSheet(sheet, receivedAt), {
    sheet,
    timestamp: "2026-01-01T11:00:00Z",
    timestampMs: Date.UTC(2026, 0, 1, 11),
    receivedAt: "2026-01-01T12:00:00.000Z",
    clientTimestamp: null,
    fingerprint: fingerprintSheet(sheet),
  });
  const { timestamp: _dropped, ...untimed } = sheet;
  const prepared = prepareSheet(untimed, receivedAt);
  equal(prepared.timestamp, "2026-01-01T12:00:00.000Z");
  equal(prepared.timestampMs, receivedAt.getTime());
});

Deno.test("prepareSheet() corrects clock skew with sent_at and keeps what the client said", () => {
  // The client's clock is 10 minutes slow: it sent at its 11:50, the server received at 12:00.
  const prepared = prepareSheet({ ...sheet, sent_at: "2026-01-01T11:50:00Z" }, receivedAt);
  equal(prepared.timestamp, "2026-01-01T11:10:00.000Z");
  equal(prepared.clientTimestamp, "2026-01-01T11:00:00Z");
  equal(
    prepared.fingerprint,
    prepareSheet({ ...sheet, sent_at: "2026-01-01T11:55:00Z" }, receivedAt).fingerprint,
    "a retry with a later sent_at is the same content",
  );
});

Deno.test("prepareSheets() refuses timestamps over 24 h ahead, naming each by index", () => {
  const ahead = new Date(receivedAt.getTime() + MAX_FUTURE_MS + 3_600_000).toISOString();
  const justInside = new Date(receivedAt.getTime() + MAX_FUTURE_MS).toISOString();
  equal(prepareSheet({ ...sheet, timestamp: justInside }, receivedAt).timestamp, justInside);
  throws(
    () => prepareSheets([sheet, { ...sheet, timestamp: ahead }], receivedAt),
    (error: unknown) =>
      error instanceof ValidationError && error.problems.length === 1 &&
      error.problems[0]!.path === "[1].timestamp" &&
      /25\.0 h ahead of the server clock \(at most 24 h is accepted\)/.test(
        error.problems[0]!.message,
      ),
  );
  throws(
    () => prepareSheet({ ...sheet, timestamp: ahead }, receivedAt),
    /Invalid stat sheet: timestamp is 25\.0 h ahead/,
  );
});

Deno.test("deno task import applies the same rules as HTTP ingest: a far-future line is refused", async () => {
  using dir = makeTempDir();
  const file = `${dir.path}/future.ndjson`;
  const future = new Date(Date.now() + 3 * MAX_FUTURE_MS).toISOString();
  await Deno.writeTextFile(
    file,
    `${JSON.stringify(sheet)}\n${
      JSON.stringify({ ...sheet, player_id: "p2", timestamp: future })
    }\n`,
  );
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/import.ts", import.meta.url).pathname,
      "--db",
      `${dir.path}/import.db`,
      file,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(code, 1);
  match(new TextDecoder().decode(stderr), /Line 2 of .*ahead of the server clock/);
});
