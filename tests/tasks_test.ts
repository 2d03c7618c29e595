import { deepStrictEqual, equal, match } from "node:assert/strict";
import { makeTempDir, runTask } from "./fixtures.ts";

const TASKS = [
  "server",
  "simulate",
  "db-summary",
  "demo",
  "import",
  "notebook",
  "bench",
  "soak",
  "export",
];

/** The lines of stderr, to check that a failure is told in exactly one. */
function linesOf(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

Deno.test("every task's --help prints its usage and exits 0 without starting work", async (t) => {
  for (const task of TASKS) {
    await t.step(task, async () => {
      const started = performance.now();
      const result = await runTask(task, ["--help"]);
      equal(result.code, 0, result.stderr);
      match(result.stdout, new RegExp(`^Usage: deno task ${task}\\b`));
      match(result.stdout, /--help\s+Show this text/);
      equal(result.stderr, "");
      // bench took 4 minutes here before: --help must not start anything.
      equal(performance.now() - started < 15_000, true);
    });
  }
});

Deno.test("a bad flag is told first, in one line naming it, then where the options are", async () => {
  const cases: [string, string[], string][] = [
    ["simulate", ["--matchs", "3"], "Unknown flag --matchs: did you mean --matches?"],
    ["simulate", ["--players", "-1"], "--players must be an integer from 1 to 1000, got -1"],
    ["demo", ["--players", "0"], "--players must be an integer from 1 to 1000, got 0"],
    ["server", ["--prot", "5001"], "Unknown flag --prot: did you mean --port?"],
    ["db-summary", ["--newest", "-2"], "--newest must be an integer from 0 to 1000, got -2"],
    ["soak", ["--seconds", "0"], "--seconds must be an integer from 1 to 3600, got 0"],
    ["import", ["--batch-size"], "--batch-size needs a value"],
    ["bench", ["--fast"], "Unknown flag --fast"],
    ["export", ["--format", "xlsx"], '--format must be one of csv, ndjson, parquet, got "xlsx"'],
  ];
  for (const [task, args, message] of cases) {
    const result = await runTask(task, args);
    equal(result.code, 2, `${task} ${args.join(" ")}: ${result.stderr}`);
    deepStrictEqual(linesOf(result.stderr), [
      message,
      `Run deno task ${task} --help for the options`,
    ]);
  }
  const badUrl = await runTask("simulate", [], {
    env: { LOOT_SERVER: "http://127.0.0.1:5000/api" },
  });
  equal(badUrl.code, 2);
  match(badUrl.stderr, /^LOOT_SERVER must be the server's base URL without a path, got ".*\/api"/);
  equal(badUrl.stderr.includes("start the server"), false);
});

Deno.test("start-up failures are one line naming the port or path and the remedy, exit 1", async (t) => {
  using dir = makeTempDir();
  const file = `${dir.path}/a_file`;
  await Deno.writeTextFile(file, "not a database");
  const expectOneLine = async (
    task: string,
    args: string[],
    pattern: RegExp,
    env: Record<string, string> = {},
  ) => {
    const result = await runTask(task, args, { env });
    equal(result.code, 1, `${task} ${args.join(" ")}: ${result.stderr}`);
    const lines = linesOf(result.stderr);
    equal(lines.length, 1, `one line, got:\n${result.stderr}`);
    match(lines[0]!, pattern);
    equal(/\bat .*:\d+:\d+|Uncaught|--allow-all/.test(result.stderr), false, result.stderr);
  };

  await t.step("server: port in use", async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    await expectOneLine(
      "server",
      ["--port", String(port), "--db", `${dir.path}/ok.db`],
      new RegExp(`^Port ${port} is already in use .*--port ${port + 1}$`),
    );
  });
  for (
    const [name, db, reason] of [
      ["a folder", dir.path, /it is a folder, not a file/],
      ["a path under a file", `${file}/loot.db`, /part of its folder path is a file/],
      ["a file that is not a database", file, /not a SQLite database/],
    ] as const
  ) {
    await t.step(`server, db-summary, import, demo, notebook: --db is ${name}`, async () => {
      const pattern = new RegExp(
        `^Cannot open the database ${db}: .*${reason.source}.*--db`,
      );
      await expectOneLine("server", ["--port", "0", "--db", db], pattern);
      await expectOneLine("import", [file, "--db", db], pattern);
      await expectOneLine("demo", ["--db", db, "--out", `${dir.path}/out`], pattern);
      if (name !== "a path under a file") {
        await expectOneLine("db-summary", ["--db", db], pattern);
      }
      // The notebook starts a server of its own when none answers at LOOT_SERVER.
      const noServer = { LOOT_SERVER: "http://127.0.0.1:9" };
      await expectOneLine("notebook", ["--db", db, "--out", `${dir.path}/nb`], pattern, noServer);
    });
  }
  await t.step(
    "server, db-summary, import, demo: a PostgreSQL URL nothing answers, password hidden",
    async () => {
      // Port 9 (discard) is closed on loopback: connection refused, at once.
      const url = "postgres://loot:hunter2@127.0.0.1:9/loot";
      const pattern =
        /^Cannot open the PostgreSQL database postgres:\/\/loot:\*\*\*@127\.0\.0\.1:9\/loot: nothing listens there \(connection refused\); start PostgreSQL/;
      await expectOneLine("server", ["--port", "0", "--db", url], pattern);
      await expectOneLine("db-summary", ["--db", url], pattern);
      await expectOneLine("import", [file, "--db", url], pattern);
      await expectOneLine("demo", ["--db", url, "--out", `${dir.path}/out`], pattern);
    },
  );
  await t.step("db-summary: no database", async () => {
    await expectOneLine("db-summary", ["--db", `${dir.path}/none.db`], /^No database at .*--db/);
  });
  await t.step("import: no such file", async () => {
    await expectOneLine(
      "import",
      [`${dir.path}/missing.ndjson`, "--db", `${dir.path}/i.db`],
      /^Cannot read .*missing\.ndjson \(no such file\)/,
    );
  });
  await t.step("simulate: no server, a server without the API, an unwritable --out", async () => {
    await expectOneLine(
      "simulate",
      ["--server", "http://127.0.0.1:9"],
      /^No server answers at http:\/\/127\.0\.0\.1:9 .*deno task server/,
    );
    await using other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("not here", { status: 404 }),
    );
    await expectOneLine(
      "simulate",
      ["--server", `http://127.0.0.1:${other.addr.port}`],
      /has no Loot Telemetry API \(GET \/api\/health gave 404\): check --server or LOOT_SERVER$/,
    );
    await expectOneLine(
      "simulate",
      ["--generate-only", "--out", `${file}/sheets.ndjson`],
      /^Cannot write .*sheets\.ndjson .*--out/,
    );
  });
  await t.step("export: no server", async () => {
    await expectOneLine(
      "export",
      ["--server", "http://127.0.0.1:9", "--out", `${dir.path}/x.csv`],
      /^No server answers at http:\/\/127\.0\.0\.1:9 .*deno task server/,
    );
  });
  await t.step("demo: an unwritable --out", async () => {
    await expectOneLine(
      "demo",
      ["--fresh", "--out", `${file}/out`],
      /^Cannot write .*stat_sheets\.ndjson .*--out DIR$/,
    );
  });
});

Deno.test("an interrupted bench removes its temporary files", async () => {
  using tmp = makeTempDir();
  // The task's own command, run directly so that the signal reaches the bench itself, as Ctrl-C
  // reaches every process of the terminal's group.
  const root = new URL("../", import.meta.url).pathname;
  const command = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks.bench as string;
  const [program, ...args] = command.split(" ");
  equal(program, "deno");
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { TMPDIR: tmp.path, NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // Wait until the run has written its first database, then interrupt it.
  let wrote = false;
  for (let i = 0; i < 600 && !wrote; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const entry of Deno.readDirSync(tmp.path)) {
      if ([...Deno.readDirSync(`${tmp.path}/${entry.name}`)].length > 0) wrote = true;
    }
  }
  equal(wrote, true, "the bench never wrote a temporary file");
  child.kill("SIGINT");
  const status = await child.status;
  match(await stderr, /SIGINT: benchmark stopped; removed /);
  equal(status.code, 130);
  deepStrictEqual([...Deno.readDirSync(tmp.path)], []);
});
