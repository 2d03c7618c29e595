import { equal, match, ok } from "node:assert/strict";
import { existsSync } from "node:fs";
import { makeTempDir, SIX_CHARTS } from "./fixtures.ts";
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
