import { Hono } from "hono";
import { parseTimeseriesQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/** `GET /api/timeseries`: sheets and units per minute, hour or day, gaps filled; mounted at `/api/timeseries`. */
export function createTimeseriesRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), async (c) => {
    const data = await store.timeseries(parseTimeseriesQuery(searchParamsOf(c)));
    return c.json({ success: true, data });
  });
}
