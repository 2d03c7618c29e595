import { Hono } from "hono";
import { parseHeatmapQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { requireRole } from "../guards.ts";
import { searchParamsOf } from "../request.ts";

/**
 * `GET /api/heatmap/:item`: every looted unit's location (the original's shape), or with `?bins=N`
 * a grid summed by the store; mounted at `/api/heatmap`.
 */
export function createHeatmapRoutes({ store, keys }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/:item", requireRole(keys, "read"), async (c) => {
    const { item, bins, matchPrefix } = parseHeatmapQuery(c.req.param("item"), searchParamsOf(c));
    const data = bins === undefined
      ? await store.heatmapPoints(item, { matchPrefix })
      : await store.heatmapGrid(item, { bins, matchPrefix });
    return c.json({ success: true, data });
  });
}
