import { deepStrictEqual, equal, match } from "node:assert/strict";
import { aggregateLoot, createClient, simulateMatches } from "../lib/mod.ts";
import { makeTempDir } from "./fixtures.ts";
import { startServerProcess } from "../server/child_process.ts";

Deno.test("the real server process ingests over HTTP, answers the lib client and keeps data across a restart", async () => {
  using dir = makeTempDir();
  const db = `${dir.path}/data/loot.db`;
  const sheets = [...simulateMatches()];
  {
    await using server = await startServerProcess(["--db", db]);
    const client = createClient(server.url);
    equal((await client.health()).status, "healthy");
    const summary = await client.submitBatch(sheets, { chunkSize: 64 });
    equal(summary.inserted, 200);
    deepStrictEqual(await client.aggregate(), aggregateLoot(sheets));
    const single = await client.submit({ ...sheets[0]!, match_id: "solo" });
    equal(single.duplicate, false);
    const { code, output } = await server.stop("SIGTERM");
    equal(code, 0);
    match(
      output,
      /Loot Telemetry server on http:\/\/127\.0\.0\.1:\d+ \(database: SQLite .*loot\.db; keys: none\)/,
    );
    match(output, /SIGTERM received/);
  }
  await using restarted = await startServerProcess(["--db", db]);
  const client = createClient(restarted.url);
  deepStrictEqual(
    await client.aggregate(),
    aggregateLoot([...sheets, { ...sheets[0]!, match_id: "solo" }]),
  );
  const again = await client.submitBatch(sheets);
  equal(again.duplicates, 200, "a re-run with the same seed adds nothing");
  equal((await client.stats({ match_id: "solo" }))[0]!.player_id, "player_1_1");
});

Deno.test("the server process reads LOOT_DB and LOOT_ADMIN_KEY and rejects bad flags", async () => {
  using dir = makeTempDir();
  await using server = await startServerProcess([], {
    LOOT_DB: `${dir.path}/env.db`,
    LOOT_ADMIN_KEY: "k",
  });
  const client = createClient(server.url);
  equal((await client.clear("k")).deleted, 0);
  const { output } = await server.stop();
  match(output, /env\.db/);

  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../server/main.ts", import.meta.url).pathname, "--port", "http"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(bad.code, 2);
  equal(
    new TextDecoder().decode(bad.stderr),
    '--port must be a port number from 0 to 65535, got "http"\nRun deno task server --help for the options\n',
  );
});

Deno.test("the server warns loudly when it listens beyond loopback without a write key", async () => {
  using dir = makeTempDir();
  const exposed = await startServerProcess(["--host", "0.0.0.0", "--db", `${dir.path}/open.db`]);
  const { output } = await exposed.stop();
  match(
    output,
    /WARNING: listening on a non-loopback address without a write key[\s\S]*Set --write-key/,
  );
  const guarded = await startServerProcess([
    "--host",
    "0.0.0.0",
    "--db",
    `${dir.path}/open.db`,
    "--write-key",
    "w",
  ]);
  const quiet = await guarded.stop();
  equal(quiet.output.includes("WARNING"), false);
  match(quiet.output, /keys: write\)/);
});
