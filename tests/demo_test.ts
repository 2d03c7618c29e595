import { equal, match, ok } from "node:assert/strict";
import { existsSync } from "node:fs";
import { makeTempDir, SECTION_CHARTS, SIX_CHARTS } from "./fixtures.ts";
import { decodePng, inkShare } from "./png.ts";

async function runDemo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/demo.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("deno task demo runs the five steps and writes six charts that hold a picture", async () => {
  using dir = makeTempDir();
  const { code, stdout, stderr } = await runDemo(["--fresh", "--out", dir.path]);
  equal(code, 0, stderr);
  match(stdout, /1\. Server running in-process on http:\/\/127\.0\.0\.1:\d+/);
  match(stdout, /2\. Generated 200 stat sheets \(50 matches × 4 players, seed 42\)/);
  match(stdout, /5\. Server totals equal local totals for all 5 items/);
  equal(stderr.includes("DeprecationWarning"), false, "no runtime noise for the user");
  for (const chart of SIX_CHARTS) {
    match(stdout, new RegExp(`${chart}\\.png`));
    for (const extension of ["svg", "vl.json"]) ok(existsSync(`${dir.path}/${chart}.${extension}`));
    const png = decodePng(await Deno.readFile(`${dir.path}/${chart}.png`));
    ok(png.width >= 600 && png.height >= 300, `${chart} is ${png.width}×${png.height}`);
    ok(inkShare(png) > 0.03, `${chart} has content`);
  }
});

Deno.test("deno task demo --scenario battle_royale also writes the six charts of modes, time and players", async () => {
  using dir = makeTempDir();
  const { code, stdout, stderr } = await runDemo([
    "--fresh",
    "--out",
    dir.path,
    "--scenario",
    "battle_royale",
    "--matches",
    "20",
  ]);
  equal(code, 0, stderr);
  match(stdout, /2\. Generated [\d,]+ stat sheets \(20 matches of battle_royale, seed 42\)/);
  for (const chart of [...SIX_CHARTS, ...SECTION_CHARTS]) {
    match(stdout, new RegExp(`^  .*/${chart}\\.png$`, "m"), `${chart} is listed`);
    for (const extension of ["svg", "vl.json"]) ok(existsSync(`${dir.path}/${chart}.${extension}`));
    const png = decodePng(await Deno.readFile(`${dir.path}/${chart}.png`));
    ok(png.width >= 600 && png.height >= 300, `${chart} is ${png.width}×${png.height}`);
    ok(inkShare(png) > 0.03, `${chart} has content`);
  }
  equal(stdout.includes("classic has no game modes"), false);
});

Deno.test("deno task demo with classic writes only the six charts and says what battle_royale adds", async () => {
  using dir = makeTempDir();
  const { code, stdout, stderr } = await runDemo(["--fresh", "--out", dir.path, "--matches", "5"]);
  equal(code, 0, stderr);
  match(
    stdout,
    /classic has no game modes, daily rhythm or returning players: --scenario battle_royale/,
  );
  for (const chart of SECTION_CHARTS) ok(!existsSync(`${dir.path}/${chart}.png`), chart);
});

Deno.test("deno task demo on a persistent database is idempotent and takes other items", async () => {
  using dir = makeTempDir();
  const db = `${dir.path}/loot.db`;
  equal((await runDemo(["--db", db, "--out", dir.path])).code, 0);
  const again = await runDemo(["--db", db, "--out", dir.path]);
  equal(again.code, 0, again.stderr);
  match(again.stderr + again.stdout, /200 duplicates · 0 failed/);
  const shields = await runDemo([
    "--db",
    db,
    "--out",
    dir.path,
    "--items",
    "shield,potion",
    "--matches",
    "5",
  ]);
  equal(shields.code, 0, shields.stderr);
  match(shields.stdout, /Server totals equal local totals for all 2 items/);
  ok(existsSync(`${dir.path}/shield_heatmap.png`));
  const bad = await runDemo(["--items", "Shield!"]);
  equal(bad.code, 2);
  match(bad.stderr, /item name must match/);
});
