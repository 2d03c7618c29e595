import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { isLoopback, parseServerConfig } from "../server/config.ts";

const DEFAULTS = {
  port: 5000,
  host: "127.0.0.1",
  db: "data/loot_telemetry.db",
  adminKey: undefined,
  writeKey: undefined,
  readKey: undefined,
  corsOrigins: [],
  rateLimit: undefined,
  maxLiveClients: 100,
  quiet: false,
  help: false,
};

Deno.test("parseServerConfig() takes flags over environment over defaults", () => {
  deepStrictEqual(parseServerConfig([], {}), DEFAULTS);
  deepStrictEqual(
    parseServerConfig([], { PORT: "8080", LOOT_DB: ":memory:", LOOT_ADMIN_KEY: "k" }),
    {
      ...DEFAULTS,
      port: 8080,
      db: ":memory:",
      adminKey: "k",
    },
  );
  deepStrictEqual(
    parseServerConfig(["--port", "9000", "--host", "0.0.0.0", "--db", "x.db", "--admin-key", "a"], {
      PORT: "8080",
      LOOT_DB: "y.db",
      LOOT_ADMIN_KEY: "b",
    }),
    { ...DEFAULTS, port: 9000, host: "0.0.0.0", db: "x.db", adminKey: "a" },
  );
});

Deno.test("parseServerConfig() reads keys, CORS origins and the rate limit", () => {
  const config = parseServerConfig(
    [
      "--write-key",
      "w",
      "--cors-origin",
      "https://a.example, http://localhost:3000",
      "--rate-limit",
      "50",
    ],
    { LOOT_READ_KEY: "r" },
  );
  deepStrictEqual(
    [config.writeKey, config.readKey, config.corsOrigins, config.rateLimit],
    ["w", "r", ["https://a.example", "http://localhost:3000"], { perSecond: 50, burst: 100 }],
  );
  deepStrictEqual(parseServerConfig(["--rate-limit", "5", "--rate-burst", "1"], {}).rateLimit, {
    perSecond: 5,
    burst: 1,
  });
  throws(
    () => parseServerConfig(["--cors-origin", "*"], {}),
    /--cors-origin takes origins such as https:\/\/dashboard\.example\.com/,
  );
  throws(() => parseServerConfig(["--rate-limit=-3"], {}), /--rate-limit must be a number/);
});

Deno.test("parseServerConfig() names the bad flag or variable", () => {
  throws(
    () => parseServerConfig(["--port", "70000"], {}),
    /--port must be a port number from 0 to 65535, got "70000"/,
  );
  throws(() => parseServerConfig([], { PORT: "abc" }), /PORT must be a port number/);
  throws(() => parseServerConfig(["--verbose"], {}), /Unknown flag --verbose/);
  throws(
    () => parseServerConfig(["--prot", "80"], {}),
    /Unknown flag --prot: did you mean --port\?/,
  );
  throws(
    () => parseServerConfig(["--port", "-1"], {}),
    /--port must be a port number from 0 to 65535, got "-1"/,
  );
  throws(() => parseServerConfig(["--db", ""], {}), /--db must not be empty/);
});

Deno.test("parseServerConfig() turns the access log off with --quiet or LOOT_QUIET=1", () => {
  equal(parseServerConfig([], {}).quiet, false);
  equal(parseServerConfig(["--quiet"], {}).quiet, true);
  equal(parseServerConfig([], { LOOT_QUIET: "1" }).quiet, true);
  equal(parseServerConfig([], { LOOT_QUIET: "0" }).quiet, false);
});

Deno.test("parseServerConfig() reads --max-live-clients or LOOT_MAX_LIVE_CLIENTS, 1 to 100000", () => {
  equal(parseServerConfig(["--max-live-clients", "5"], {}).maxLiveClients, 5);
  equal(parseServerConfig([], { LOOT_MAX_LIVE_CLIENTS: "7" }).maxLiveClients, 7);
  throws(
    () => parseServerConfig(["--max-live-clients", "0"], {}),
    /--max-live-clients must be an integer from 1 to 100000, got "0"/,
  );
  throws(
    () => parseServerConfig([], { LOOT_MAX_LIVE_CLIENTS: "many" }),
    /LOOT_MAX_LIVE_CLIENTS must be an integer/,
  );
});

Deno.test("isLoopback() tells local-only addresses from exposed ones", () => {
  deepStrictEqual(["127.0.0.1", "localhost", "::1", "127.1.2.3"].map(isLoopback), [
    true,
    true,
    true,
    true,
  ]);
  equal(isLoopback("0.0.0.0"), false);
  equal(isLoopback("192.168.1.20"), false);
});
