import { deepStrictEqual, equal, match } from "node:assert/strict";
import { aggregateLoot, parseNdjson, simulateMatches } from "../lib/mod.ts";
import { chooseMatchPrefix } from "../lib/simulate.ts";
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
    /Newest 2 stat sheets\n\s+Id\s+Match\s+Player\s+Timestamp\s+Units\n\s+#200\s+match_0\d\d\s+player_\d+_\d\s+2025-10-23T/,
  );
  match(summary.stdout, /Units looted per item\n\s+Item\s+Units\n/);
  equal(/\bitems\b/.test(summary.stdout), false, "db-summary counts units, not items");
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
  // Changed settings get match ids of their own, as when uploading.
  const matchPrefix = chooseMatchPrefix({ items: ["shield", "potion"], seed: 5 });
  match(matchPrefix, /^sim[0-9a-f]{6}$/);
  deepStrictEqual(
    parseNdjson(await Deno.readTextFile(out)),
    [...simulateMatches({ matches: 7, items: ["shield", "potion"], seed: 5, matchPrefix })],
  );
});

Deno.test("the CLIs explain bad flags and an unreachable server", async () => {
  const badFlag = await runCli("simulate.ts", ["--matches", "zero"]);
  equal(badFlag.code, 2);
  equal(
    badFlag.stderr,
    '--matches must be an integer from 1 to 100000000, got "zero"\nRun deno task simulate --help for the options\n',
  );
  const noServer = await runCli("simulate.ts", ["--server", "http://127.0.0.1:9"]);
  equal(noServer.code, 1);
  match(
    noServer.stderr,
    /^No server answers at http:\/\/127\.0\.0\.1:9 \(.*\): start one with deno task server, or pass --server URL\n$/,
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

Deno.test("simulate stores a run with changed settings beside the default one", async () => {
  using dir = makeTempDir();
  await using server = await startServerProcess(["--db", `${dir.path}/loot.db`]);
  const first = await runCli("simulate.ts", ["--server", server.url]);
  equal(first.code, 0, first.stderr);
  for (const args of [["--items", "rubber_duck,shield,medkit"], ["--seed", "7"]]) {
    const changed = await runCli("simulate.ts", ["--server", server.url, ...args]);
    equal(changed.code, 0, changed.stderr);
    match(changed.stderr, /\(match ids sim[0-9a-f]{6}_…\)/);
    match(changed.stderr, /Stored 200 of 200 sheets: 200 new\n/);
  }
  const named = await runCli("simulate.ts", ["--server", server.url, "--run-prefix", "trial"]);
  match(named.stderr, /Stored 200 of 200 sheets: 200 new\n/);
  match(named.stdout, /Server now holds 800 stat sheets .*; 200 of them under trial_\./);
});

Deno.test("simulate says plainly when the server refuses every sheet", async () => {
  using dir = makeTempDir();
  await using server = await startServerProcess(["--db", `${dir.path}/loot.db`]);
  equal((await runCli("simulate.ts", ["--server", server.url])).code, 0);
  // The same match ids with different content: every sheet is a 409 conflict.
  const refused = await runCli("simulate.ts", [
    "--server",
    server.url,
    "--seed",
    "7",
    "--run-prefix",
    "match",
  ]);
  equal(refused.code, 1);
  match(refused.stderr, /\[-{24}\] Uploaded 0\/200 sheets \(0\.0%\) .* 200 failed/);
  match(
    refused.stderr,
    /Stored 0 of 200 sheets: 200 refused \(409 conflict: A different stat sheet for match_id match_0\d\d/,
  );
  match(refused.stderr, /pass another --run-prefix/);
  equal(refused.stderr.includes("\x1b["), false, "no colour when stderr is not a terminal");
  // The table compares this run with what is stored under its prefix, not with another run's sheets.
  match(refused.stdout, /stored under match_/);
});

Deno.test("simulate --generate-only says when it replaces a file", async () => {
  using dir = makeTempDir();
  const out = `${dir.path}/sheets.ndjson`;
  const first = await runCli("simulate.ts", ["--generate-only", "--matches", "2", "--out", out]);
  equal(first.stderr, `Wrote 8 stat sheets to ${out}\n`);
  const second = await runCli("simulate.ts", ["--generate-only", "--matches", "2", "--out", out]);
  equal(
    second.stderr,
    `Wrote 8 stat sheets to ${out}\nOverwrote ${out} (previous file replaced)\n`,
  );
});

Deno.test("simulate uploads to a server with keys, taking them from LOOT_WRITE_KEY and LOOT_READ_KEY", async () => {
  using dir = makeTempDir();
  await using server = await startServerProcess([
    "--db",
    `${dir.path}/keys.db`,
    "--write-key",
    "w-key",
    "--read-key",
    "r-key",
  ]);
  const run = (env: Record<string, string>) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli/simulate.ts", import.meta.url).pathname,
        "--server",
        server.url,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output().then(({ code, stdout, stderr }) => ({
      code,
      stdout: new TextDecoder().decode(stdout),
      stderr: new TextDecoder().decode(stderr),
    }));
  const withoutRead = await run({ LOOT_WRITE_KEY: "w-key" });
  equal(withoutRead.code, 1);
  match(withoutRead.stderr, /0 failed/);
  match(
    withoutRead.stderr,
    /Cannot read the server's totals: .*read key.* \(set LOOT_READ_KEY\)\n$/,
  );
  const both = await run({ LOOT_WRITE_KEY: "w-key", LOOT_READ_KEY: "r-key" });
  equal(both.code, 0, both.stderr);
  match(both.stdout, /Server now holds 200 stat sheets/);
});
