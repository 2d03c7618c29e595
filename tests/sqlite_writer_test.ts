import { deepStrictEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  aggregateLoot,
  binItemLocations,
  buildTimeseries,
  ConflictError,
  groupAggregate,
  prepareSheets,
  rankPlayers,
  simulateMatches,
} from "../lib/mod.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { checkRollups } from "../server/store/sqlite_diagnostics.ts";
import { FOLD_STEPS, readFoldState, readStepWatermarks } from "../server/store/sqlite_rollups.ts";
import { ANALYTICS_RECOUNTS, MIGRATIONS } from "../server/store/sqlite_schema.ts";
import { firstRow } from "../server/store/sqlite_rows.ts";
import {
  configureWriteConnection,
  GroupCommitter,
  MAX_GROUP_SHEETS,
  MAX_UNFOLDED_SHEETS,
} from "../server/store/sqlite_writer.ts";
import { makeTempDir, openTempStore } from "./fixtures.ts";

const receivedAt = new Date("2026-01-01T00:00:00Z");

/** A migrated database at `path` and a committer on a write connection to it, driven by hand. */
function openCommitter(path: string): { db: DatabaseSync; committer: GroupCommitter } {
  openSqliteStore(path).close();
  const db = new DatabaseSync(path);
  configureWriteConnection(db);
  return { db, committer: new GroupCommitter((sql) => db.prepare(sql)) };
}

Deno.test("the write worker: close() commits what is still queued, and its writes then resolve", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/close.db`;
  const sheets = [...simulateMatches({ matches: 500 })];
  const store = openSqliteStore(path);
  const pending = [
    store.insertSheets(prepareSheets(sheets.slice(0, 1_000), receivedAt)),
    store.insertSheets(prepareSheets(sheets.slice(1_000), receivedAt)),
  ];
  store.close();
  const outcomes = (await Promise.all(pending)).flat();
  equal(outcomes.filter((outcome) => !outcome.duplicate).length, sheets.length);
  using reopened = openSqliteStore(path);
  equal((await reopened.aggregate()).total_stat_sheets, sheets.length);
  deepStrictEqual(checkRollups(path), []);
  await rejects(store.insertSheets(prepareSheets(sheets.slice(0, 1), receivedAt)), /closed/);
});

Deno.test("the write worker: a conflict crosses back as a ConflictError naming the stored id and the sheet's index", async () => {
  using temp = openTempStore();
  const sheets = [...simulateMatches({ matches: 3 })];
  const [stored] = await temp.store.insertSheets(prepareSheets(sheets.slice(0, 1), receivedAt));
  const batch = [...sheets.slice(1, 4), { ...sheets[0]!, player_level: 99 }];
  const error = await temp.store.insertSheets(prepareSheets(batch, receivedAt)).then(
    () => undefined,
    (reason) => reason,
  );
  ok(error instanceof ConflictError, String(error));
  equal(error.existingId, stored!.id);
  equal(error.index, 3);
  equal((await temp.store.aggregate()).total_stat_sheets, 1, "the whole batch was undone");
});

Deno.test("the write worker: the event loop keeps running while a large batch commits", async () => {
  using temp = openTempStore();
  const sheets = prepareSheets([...simulateMatches({ matches: 2_500 })], receivedAt);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  await temp.store.insertSheets(sheets);
  const elapsed = performance.now() - t0;
  clearInterval(timer);
  // On this thread the commit would hold the loop for all of `elapsed`, and no tick would run.
  ok(ticks >= Math.min(10, elapsed / 20), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  let seen = 0;
  temp.store.onCommit((stored) => void (seen += stored.length));
  await temp.store.insertSheets(sheets.slice(0, 10));
  equal(seen, 0, "duplicates are not announced");
});

Deno.test("rollups fold after the commit: recounts cover the folded sheets, a crash's unfolded ones are folded at the next open", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/fold.db`;
  const sheets = [...simulateMatches({ matches: 20, seed: 3 })];
  {
    // A writer that commits and never folds: what a crash between the two leaves behind.
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 30), receivedAt)]);
    committer.fold();
    committer.commit([prepareSheets(sheets.slice(30), receivedAt)]);
    // Resubmissions store nothing but use ids up: the count of unfolded sheets must not follow them.
    committer.commit([prepareSheets(sheets.slice(0, 10), receivedAt)]);
    equal(committer.unfolded, sheets.length - 30);
    const state = readFoldState((sql) => db.prepare(sql));
    deepStrictEqual([state.folded, state.unfolded], [30, sheets.length - 30]);
    db.close();
  }
  deepStrictEqual(checkRollups(path), [], "the rollups equal a recount of the 30 folded sheets");
  {
    // A read-only store (db-summary) never folds: it reads the rollups as they are.
    using readOnly = openSqliteStore(path, { readOnly: true });
    equal((await readOnly.aggregate()).total_stat_sheets, 30);
  }
  using store = openSqliteStore(path);
  deepStrictEqual(
    await store.aggregate(),
    aggregateLoot(sheets),
    "the first read waits for the fold",
  );
  const check = new DatabaseSync(path, { readOnly: true });
  const state = readFoldState((sql) => check.prepare(sql));
  check.close();
  deepStrictEqual([state.folded, state.unfolded], [state.last, 0]);
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("the write worker: every read sees the sheets acknowledged before it, though they fold later", async () => {
  using temp = openTempStore();
  const sheets = [...simulateMatches({ matches: 10, seed: 4 })];
  for (let index = 0; index < sheets.length; index++) {
    await temp.store.insertSheets(prepareSheets([sheets[index]!], receivedAt));
    if (index % 7 !== 0) continue;
    // Each read waits only for the fold steps whose rollups it reads: each is checked against
    // lib's computation over the sheets sent so far.
    const sent = sheets.slice(0, index + 1);
    deepStrictEqual(await temp.store.aggregate(), aggregateLoot(sent));
    for (const dimension of ["player_level", "hour"] as const) {
      deepStrictEqual(
        await temp.store.groupAggregate(dimension),
        groupAggregate(sent, dimension),
      );
    }
    deepStrictEqual(
      await temp.store.timeseries({ interval: "hour" }),
      buildTimeseries(sent, { interval: "hour" }),
    );
    deepStrictEqual(
      await temp.store.heatmapGrid("rubber_duck", { bins: 20 }),
      binItemLocations(sent, "rubber_duck", { bins: 20 }),
    );
    deepStrictEqual(await temp.store.listPlayers({ limit: 1_000 }), rankPlayers(sent));
  }
  deepStrictEqual(await temp.store.aggregate(), aggregateLoot(sheets));
  deepStrictEqual(checkRollups(temp.path), []);
});

Deno.test("a fold of some steps moves only their watermarks, and each step's backlog is its own", () => {
  using dir = makeTempDir();
  const { db, committer } = openCommitter(`${dir.path}/some.db`);
  const sheets = [...simulateMatches({ matches: 5, seed: 8 })];
  committer.commit([prepareSheets(sheets, receivedAt)]);
  committer.foldAll(["counters", "items"]);
  const marks = readStepWatermarks((sql) => db.prepare(sql));
  deepStrictEqual(
    FOLD_STEPS.map((step) => marks[step]),
    FOLD_STEPS.map((step) => ["counters", "items"].includes(step) ? sheets.length : 0),
  );
  deepStrictEqual(
    [committer.backlog(["counters", "items"]), committer.backlog(["cells"]), committer.unfolded],
    [0, sheets.length, sheets.length],
  );
  committer.foldAll();
  equal(committer.unfolded, 0);
  db.close();
});

Deno.test("a fold step whose COMMIT fails keeps its backlog: the next fold of that step does the work again", () => {
  using dir = makeTempDir();
  const path = `${dir.path}/failing.db`;
  openSqliteStore(path).close();
  const db = new DatabaseSync(path);
  configureWriteConnection(db);
  let failCommit = false;
  const committer = new GroupCommitter((sql) => {
    if (failCommit && sql === "COMMIT") throw new Error("disk I/O error (simulated)");
    return db.prepare(sql);
  });
  const sheets = [...simulateMatches({ matches: 3, seed: 5 })];
  committer.commit([prepareSheets(sheets, receivedAt)]);
  failCommit = true;
  throws(() => committer.foldStep(undefined, ["cells"]), /simulated/);
  failCommit = false;
  equal(committer.backlog(["cells"]), sheets.length, "the failed step still counts every sheet");
  committer.foldAll(["cells"]);
  equal(readStepWatermarks((sql) => db.prepare(sql)).cells, sheets.length);
  committer.foldAll();
  db.close();
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("a fold runs step by step, each committed with its own watermark: a crash between two steps leaves every rollup equal to a recount of what its step folded, and the next open folds the rest", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/steps.db`;
  const sheets = [...simulateMatches({ matches: 12, seed: 6 })];
  {
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 20), receivedAt)]);
    committer.fold();
    committer.commit([prepareSheets(sheets.slice(20), receivedAt)]);
    // Three steps of the next fold, then a crash: the other steps are still at 20.
    for (let step = 0; step < 3; step++) committer.foldStep();
    ok(committer.folding, "steps are left");
    const marks = readStepWatermarks((sql) => db.prepare(sql));
    deepStrictEqual(
      FOLD_STEPS.map((step) => marks[step]),
      FOLD_STEPS.map((_, index) => index < 3 ? sheets.length : 20),
    );
    deepStrictEqual(
      [readFoldState((sql) => db.prepare(sql)).folded, committer.unfolded],
      [20, sheets.length - 20],
      "a sheet counts as folded once every step has folded it",
    );
    db.close();
  }
  deepStrictEqual(checkRollups(path), [], "each rollup equals a recount through its step's mark");
  using store = openSqliteStore(path);
  deepStrictEqual(await store.aggregate(), aggregateLoot(sheets));
  const check = new DatabaseSync(path, { readOnly: true });
  const marks = readStepWatermarks((sql) => check.prepare(sql));
  check.close();
  deepStrictEqual(Object.values(marks), FOLD_STEPS.map(() => sheets.length));
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("a fold over ids that resubmissions skipped counts what it left, and folds it later", () => {
  using dir = makeTempDir();
  const path = `${dir.path}/gaps.db`;
  const sheets = [...simulateMatches({ matches: 3, seed: 5 })];
  const { db, committer } = openCommitter(path);
  committer.commit([prepareSheets(sheets.slice(0, 5), receivedAt)]); // ids 1–5
  committer.commit([prepareSheets(sheets.slice(0, 1), receivedAt)]); // a resubmission uses id 6
  committer.commit([prepareSheets(sheets.slice(5, 10), receivedAt)]); // ids 7–11
  equal(committer.fold(10), 1, "ids 1–10 hold nine sheets: one is left");
  equal(committer.unfolded, 1);
  committer.foldAll();
  const state = readFoldState((sql) => db.prepare(sql));
  db.close();
  deepStrictEqual([state.folded, state.unfolded], [11, 0]);
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("a read-only store opens a database of an older schema without folding or failing", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/v7.db`;
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  for (const migration of MIGRATIONS.slice(0, 7)) db.exec(migration);
  db.exec("PRAGMA user_version = 7");
  db.close();
  using store = openSqliteStore(path, { readOnly: true });
  deepStrictEqual(await store.aggregate(), aggregateLoot([]));
});

Deno.test("migration 10 gives each fold step the watermark the single one had", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/v9.db`;
  const sheets = [...simulateMatches({ matches: 5, seed: 8 })];
  {
    // A version 9 database: sheets 1–8 folded, then stored and never folded, as a crash leaves it.
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 8), receivedAt)]);
    committer.fold();
    committer.commit([prepareSheets(sheets.slice(8), receivedAt)]);
    db.exec(`DELETE FROM rollup_state; INSERT INTO rollup_state VALUES ('folded_through', 8);
      DROP INDEX stat_sheets_by_player_time;
      CREATE INDEX stat_sheets_by_player ON stat_sheets (player_id);
      PRAGMA user_version = 9`);
    db.close();
  }
  using store = openSqliteStore(path);
  deepStrictEqual(await store.aggregate(), aggregateLoot(sheets), "sheets 9–20 folded once");
  const check = new DatabaseSync(path, { readOnly: true });
  const names = check.prepare("SELECT name FROM rollup_state ORDER BY name").all()
    .map((row) => row.name);
  check.close();
  deepStrictEqual(names, FOLD_STEPS.map((step) => `folded_through:${step}`).sort());
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("migration 11 keeps member rows only for the players of modes and levels, and every group still counts distinct matches and players", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/v10.db`;
  const sheets = [...simulateMatches({ matches: 12, seed: 3 })];
  {
    // A version 10 database, with member rows for every dimension, as its fold kept them.
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 25), receivedAt)]);
    committer.fold();
    const members = ANALYTICS_RECOUNTS.find(({ table }) => table === "rollup_group_members")!;
    db.exec(`INSERT OR IGNORE INTO rollup_group_members ${members.recount};
      DROP INDEX stat_sheets_by_player_time;
      CREATE INDEX stat_sheets_by_player ON stat_sheets (player_id);
      PRAGMA user_version = 10`);
    ok(
      firstRow<{ n: number }>(
        db.prepare("SELECT COUNT(*) AS n FROM rollup_group_members WHERE dimension = 'hour'"),
      ).n > 0,
    );
    db.close();
  }
  {
    using store = openSqliteStore(path);
    // The rest arrive one at a time: each fold probes the sheets before it.
    for (const sheet of sheets.slice(25)) {
      await store.insertSheets(prepareSheets([sheet], receivedAt));
    }
    for (const dimension of ["hour", "day", "game_mode", "player_level"] as const) {
      deepStrictEqual(
        await store.groupAggregate(dimension),
        groupAggregate(sheets, dimension),
        dimension,
      );
    }
  }
  const check = new DatabaseSync(path, { readOnly: true });
  deepStrictEqual(
    check.prepare("SELECT DISTINCT dimension, kind FROM rollup_group_members ORDER BY 1").all()
      .map((row) => `${row.dimension} ${row.kind}`),
    ["game_mode p", "player_level p"],
  );
  ok(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'stat_sheets_by_player_time'").get());
  check.close();
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("migration 12 keys the item time rollup by item and every series still equals lib's", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/v11.db`;
  const sheets = [...simulateMatches({ matches: 15, seed: 4 })].map((sheet, index) => ({
    ...sheet,
    game_mode: index % 3 === 0 ? "duo" : "solo",
    ...(index % 2 === 0 ? { experiment: "drop_boost", variant: index % 4 === 0 ? "a" : "b" } : {}),
  }));
  {
    // A version 11 database: the item time rollup keyed by bucket with an index by item, as
    // that schema had it, and the experiment index over every sheet.
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 30), receivedAt)]);
    committer.fold();
    db.exec(`CREATE TABLE v11_time_items (
        interval TEXT NOT NULL, item TEXT NOT NULL, bucket INTEGER NOT NULL,
        game_mode TEXT NOT NULL, sheets INTEGER NOT NULL, units INTEGER NOT NULL,
        PRIMARY KEY (interval, bucket, game_mode, item)) WITHOUT ROWID;
      INSERT INTO v11_time_items SELECT * FROM rollup_time_items;
      DROP TABLE rollup_time_items;
      ALTER TABLE v11_time_items RENAME TO rollup_time_items;
      CREATE INDEX rollup_time_items_by_item ON rollup_time_items (interval, item, bucket);
      DROP INDEX stat_sheets_by_experiment;
      CREATE INDEX stat_sheets_by_experiment ON stat_sheets (experiment, variant);
      PRAGMA user_version = 11`);
    db.close();
  }
  {
    using store = openSqliteStore(path);
    // The rest arrive one at a time, each folded into the rollup under its new key.
    for (const sheet of sheets.slice(30)) {
      await store.insertSheets(prepareSheets([sheet], receivedAt));
    }
    for (const interval of ["minute", "hour", "day"] as const) {
      for (const item of [undefined, "medkit"]) {
        deepStrictEqual(
          await store.timeseries({ interval, item }),
          buildTimeseries(sheets, { interval, item }),
          `${interval} ${item ?? "every item"}`,
        );
      }
      deepStrictEqual(
        await store.timeseries({ interval, gameMode: "duo" }),
        buildTimeseries(sheets.filter((sheet) => sheet.game_mode === "duo"), { interval }),
        `${interval} duo`,
      );
    }
    const [first] = (await store.timeseries({ interval: "minute" })).buckets;
    const sinceMs = Date.parse(first!.start) + 60_000;
    deepStrictEqual(
      await store.timeseries({ interval: "minute", sinceMs }),
      buildTimeseries(sheets, { interval: "minute", sinceMs }),
      "from the second minute",
    );
  }
  const check = new DatabaseSync(path, { readOnly: true });
  const indexes = check.prepare(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE '%_by_%'",
  ).all();
  check.close();
  const named = (name: string) => indexes.find((index) => index.name === name);
  equal(named("rollup_time_items_by_item"), undefined);
  ok(String(named("stat_sheets_by_experiment")?.sql).includes("WHERE experiment IS NOT NULL"));
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("migration 13 counts the players of a named mode from the player rollup, even when a crash left its step behind the groups'", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/v12.db`;
  const modes = ["solo", "duo", undefined];
  const sheets = [...simulateMatches({ matches: 15, seed: 12 })].map((sheet, index) => {
    const mode = modes[Math.floor(index / 4) % 3];
    return mode ? { ...sheet, game_mode: mode } : sheet;
  });
  // Players coming back, so that some are new to a mode and some are not.
  for (const [index, sheet] of sheets.entries()) sheet.player_id = `p${index % 11}`;
  {
    // A version 12 database: the groups step ran past the players step (a crash between them),
    // and its member rows and counts cover every named mode's players through its mark, as that
    // schema's fold kept them.
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 20), receivedAt)]);
    committer.fold();
    committer.commit([prepareSheets(sheets.slice(20, 40), receivedAt)]);
    committer.foldStep(); // counters
    committer.foldStep(); // groups
    const marks = readStepWatermarks((sql) => db.prepare(sql));
    deepStrictEqual([marks.groups, marks.players], [40, 20]);
    db.exec(`INSERT OR IGNORE INTO rollup_group_members
        SELECT DISTINCT 'game_mode', game_mode, 'p', player_id FROM stat_sheets
        WHERE id <= 40 AND game_mode IS NOT NULL;
      UPDATE rollup_groups SET players = (SELECT COUNT(DISTINCT player_id) FROM stat_sheets
        WHERE id <= 40 AND game_mode = rollup_groups.key)
        WHERE dimension = 'game_mode' AND key != '';
      PRAGMA user_version = 12`);
    db.close();
  }
  {
    using store = openSqliteStore(path);
    // The rest arrive one at a time, each counted against the player rollup.
    for (const sheet of sheets.slice(40)) {
      await store.insertSheets(prepareSheets([sheet], receivedAt));
    }
    deepStrictEqual(
      await store.groupAggregate("game_mode"),
      groupAggregate(sheets, "game_mode"),
    );
  }
  const check = new DatabaseSync(path, { readOnly: true });
  deepStrictEqual(
    check.prepare(
      "SELECT DISTINCT key FROM rollup_group_members WHERE dimension = 'game_mode'",
    ).all().map((row) => row.key),
    [""],
    "member rows are left only for the sheets sent without a mode",
  );
  check.close();
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("the players step a fold ahead of the groups step: each column of a group equals a recount through its own step, and the next open folds the rest", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/ahead.db`;
  const sheets = [...simulateMatches({ matches: 15, seed: 13 })].map((sheet, index) => ({
    ...sheet,
    player_id: `p${index % 9}`,
    ...(index % 5 === 4 ? {} : { game_mode: index % 2 === 0 ? "solo" : "squad" }),
  }));
  {
    const { db, committer } = openCommitter(path);
    committer.commit([prepareSheets(sheets.slice(0, 20), receivedAt)]);
    committer.fold();
    committer.commit([prepareSheets(sheets.slice(20), receivedAt)]);
    committer.fold(MAX_GROUP_SHEETS, ["players"]);
    const marks = readStepWatermarks((sql) => db.prepare(sql));
    deepStrictEqual([marks.groups, marks.players], [20, sheets.length]);
    db.close();
  }
  deepStrictEqual(checkRollups(path), [], "a named mode's players through the players step");
  {
    using store = openSqliteStore(path);
    deepStrictEqual(await store.groupAggregate("game_mode"), groupAggregate(sheets, "game_mode"));
  }
  deepStrictEqual(checkRollups(path), []);
});

Deno.test("the write worker: a stream of batches waits for the fold past MAX_UNFOLDED_SHEETS, so the fold stays close behind", async () => {
  using temp = openTempStore();
  const sheets = prepareSheets([...simulateMatches({ matches: 10_000, seed: 9 })], receivedAt);
  const batches = Array.from(
    { length: 8 },
    (_, index) => sheets.slice(index * 5_000, (index + 1) * 5_000),
  );
  await Promise.all(batches.map((batch) => temp.store.insertSheets(batch)));
  const check = new DatabaseSync(temp.path, { readOnly: true });
  const { unfolded } = readFoldState((sql) => check.prepare(sql));
  check.close();
  ok(unfolded <= MAX_UNFOLDED_SHEETS + 5_000, `${unfolded} sheets unfolded once all were stored`);
  deepStrictEqual(await temp.store.aggregate(), aggregateLoot(sheets.map(({ sheet }) => sheet)));
});
