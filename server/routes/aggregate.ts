import { Hono } from "hono";
import { parseAggregateQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/** `GET /api/aggregate`: totals per item and distinct counts, from rollups; mounted at `/api/aggregate`. */
export function createAggregateRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), async (c) => {
    const data = await store.aggregate(parseAggregateQuery(searchParamsOf(c)));
    return c.json({ success: true, data });
  });
}
