import { deepStrictEqual, throws } from "node:assert/strict";
import { parseServerConfig } from "../server/config.ts";

Deno.test("parseServerConfig() takes flags over environment over defaults", () => {
  deepStrictEqual(parseServerConfig([], {}), {
    port: 5000,
    host: "127.0.0.1",
    db: "data/loot_telemetry.db",
    adminKey: undefined,
    help: false,
  });
  deepStrictEqual(
    parseServerConfig([], { PORT: "8080", LOOT_DB: ":memory:", LOOT_ADMIN_KEY: "k" }),
    {
      port: 8080,
      host: "127.0.0.1",
      db: ":memory:",
      adminKey: "k",
      help: false,
    },
  );
  deepStrictEqual(
    parseServerConfig(["--port", "9000", "--host", "0.0.0.0", "--db", "x.db", "--admin-key", "a"], {
      PORT: "8080",
      LOOT_DB: "y.db",
      LOOT_ADMIN_KEY: "b",
    }),
    { port: 9000, host: "0.0.0.0", db: "x.db", adminKey: "a", help: false },
  );
});

Deno.test("parseServerConfig() names the bad flag or variable", () => {
  throws(
    () => parseServerConfig(["--port", "70000"], {}),
    /--port must be a port number from 0 to 65535, got "70000"/,
  );
  throws(() => parseServerConfig([], { PORT: "abc" }), /PORT must be a port number/);
  throws(() => parseServerConfig(["--verbose"], {}), /Unknown option '--verbose'/);
  throws(() => parseServerConfig(["--db", ""], {}), /--db must not be empty/);
});
