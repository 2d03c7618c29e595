import { Hono } from "hono";
import { parseAggregateQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/**
 * `GET /api/aggregate`: totals per item and distinct counts, from rollups; with `group_by`, the
 * same per game mode, player level, hour or day. Mounted at `/api/aggregate`.
 */
export function createAggregateRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), async (c) => {
    const { groupBy, ...filter } = parseAggregateQuery(searchParamsOf(c));
    const data = groupBy === undefined
      ? await store.aggregate(filter)
      : await store.groupAggregate(groupBy, filter);
    return c.json({ success: true, data });
  });
}
