import { deepStrictEqual, equal, match } from "node:assert/strict";
import { aggregateLoot, parseNdjson, simulateMatches } from "../lib/mod.ts";
import { makeTempDir } from "./fixtures.ts";
import { startServerProcess } from "../server/child_process.ts";

async function runCli(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`../cli/${script}`, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("simulate uploads 200 sheets, then adds nothing on a second run with the same seed", async () => {
  using dir = makeTempDir();
  await using server = await startServerProcess(["--db", `${dir.path}/loot.db`]);
  const first = await runCli("simulate.ts", ["--server", server.url, "--batch-size", "64"]);
  equal(first.code, 0, first.stderr);
  match(
    first.stderr,
    /Uploaded 200\/200 sheets \(100\.0%\) · [\d,]+ sheets\/s · 0 duplicates · 0 failed/,
  );
  match(first.stdout, /Server now holds 200 stat sheets from 50 matches and 200 players/);
  const local = aggregateLoot(simulateMatches());
  match(
    first.stdout,
    new RegExp(
      `rubber_duck\\s+${local.total_items.rubber_duck}\\s+${local.total_items.rubber_duck}`,
    ),
  );
  const second = await runCli("simulate.ts", ["--server", server.url]);
  match(second.stderr, /200 duplicates/);
  match(second.stdout, /Server now holds 200 stat sheets/);

  const summary = await runCli("db_summary.ts", ["--db", `${dir.path}/loot.db`, "--newest", "2"]);
  equal(summary.code, 0, summary.stderr);
  match(summary.stdout, /Stat sheets\s+200\nMatches\s+50\nPlayers\s+200/);
  // Chunks upload two at a time, so which match got id 200 depends on which request committed last.
  match(
    summary.stdout,
    /Newest 2 stat sheets\n\s+#200\s+match_0\d\d\s+player_\d+_\d\s+2025-10-23T/,
  );
});

Deno.test("simulate --generate-only writes NDJSON identical to the library's sheets", async () => {
  using dir = makeTempDir();
  const out = `${dir.path}/out/sheets.ndjson`;
  const result = await runCli("simulate.ts", [
    "--generate-only",
    "--matches",
    "7",
    "--items",
    "shield,potion",
    "--seed",
    "5",
    "--out",
    out,
  ]);
  equal(result.code, 0, result.stderr);
  match(result.stderr, /Wrote 28 stat sheets/);
  deepStrictEqual(
    parseNdjson(await Deno.readTextFile(out)),
    [...simulateMatches({ matches: 7, items: ["shield", "potion"], seed: 5 })],
  );
});

Deno.test("the CLIs explain bad flags and an unreachable server", async () => {
  const badFlag = await runCli("simulate.ts", ["--matches", "zero"]);
  equal(badFlag.code, 2);
  match(badFlag.stderr, /--matches must be an integer, got "zero"[\s\S]*Usage: deno task simulate/);
  const noServer = await runCli("simulate.ts", ["--server", "http://127.0.0.1:9"]);
  equal(noServer.code, 1);
  match(
    noServer.stderr,
    /Server at http:\/\/127\.0\.0\.1:9 is not available[\s\S]*Start it with: deno task server/,
  );
  const tooFar = await runCli("simulate.ts", ["--matches", "100000000"]);
  equal(tooFar.code, 2);
  match(
    tooFar.stderr,
    /more than 24 h ahead of now, and the server would refuse them\.\nStart it earlier, e\.g\. --start-time /,
  );
  const noDb = await runCli("db_summary.ts", ["--db", "/nonexistent/loot.db"]);
  equal(noDb.code, 1);
  match(noDb.stderr, /No database at \/nonexistent\/loot\.db/);
});
