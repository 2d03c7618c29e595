import { Hono } from "hono";
import { parseStatsQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/** `GET /api/stats`: stored sheets, newest first, with a keyset cursor; mounted at `/api/stats`. */
export function createStatsRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), async (c) => {
    const filter = parseStatsQuery(searchParamsOf(c));
    const data = await store.listSheets(filter);
    // A keyset cursor (the last id of a full page) stays stable while inserts continue; an offset does not.
    const next = data.length === filter.limit ? String(data.at(-1)!.id) : null;
    return c.json({ success: true, count: data.length, data, next });
  });
}
