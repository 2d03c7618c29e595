import type { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import { requireRole } from "../guards.ts";
import { rejectOtherMethods } from "../middleware.ts";
import {
  readIdParam,
  readIntegerParam,
  readQuery,
  readTimeParam,
  requireItemName,
} from "../request.ts";

/** Default and largest page of `GET /api/stats`. */
export const STATS_PAGE = Object.freeze({ fallback: 1_000, max: 10_000 });

/** `GET /api/stats`, `GET /api/aggregate` and `GET /api/heatmap/:item`: all computed by the store's SQL. */
export function registerQueryRoutes(app: Hono, { store, options, keys }: AppDeps): void {
  const reader = requireRole(keys, "read");
  app.get("/api/stats", reader, async (c) => {
    const params = readQuery(c, [
      "match_id",
      "match_prefix",
      "player_id",
      "item",
      "since",
      "until",
      "limit",
      "offset",
      "cursor",
    ]);
    const limit = readIntegerParam(params, "limit", {
      min: 1,
      max: STATS_PAGE.max,
      fallback: STATS_PAGE.fallback,
    });
    const data = await store.listSheets({
      match_id: readIdParam(params, "match_id"),
      matchPrefix: readIdParam(params, "match_prefix"),
      player_id: readIdParam(params, "player_id"),
      item: params.item === undefined ? undefined : requireItemName(params.item, "item"),
      sinceMs: readTimeParam(params, "since"),
      untilMs: readTimeParam(params, "until"),
      beforeId: params.cursor === undefined
        ? undefined
        : readIntegerParam(params, "cursor", { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 0 }),
      limit,
      offset: readIntegerParam(params, "offset", {
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        fallback: 0,
      }),
    });
    // A keyset cursor (the last id of a full page) stays stable while inserts continue; an offset does not.
    const next = data.length === limit ? String(data.at(-1)!.id) : null;
    return c.json({ success: true, count: data.length, data, next });
  });
  rejectOtherMethods(app, "/api/stats", ["GET"]);

  app.get("/api/aggregate", reader, async (c) => {
    const params = readQuery(c, ["match_id", "match_prefix", "since", "until"]);
    const data = await store.aggregate({
      match_id: readIdParam(params, "match_id"),
      matchPrefix: readIdParam(params, "match_prefix"),
      sinceMs: readTimeParam(params, "since"),
      untilMs: readTimeParam(params, "until"),
    });
    return c.json({ success: true, data });
  });
  rejectOtherMethods(app, "/api/aggregate", ["GET"]);

  app.get("/api/heatmap/:item", reader, async (c) => {
    const item = requireItemName(c.req.param("item"), "item");
    const params = readQuery(c, ["bins", "match_prefix"]);
    const matchPrefix = readIdParam(params, "match_prefix");
    if (params.bins === undefined) {
      return c.json({ success: true, data: await store.heatmapPoints(item, { matchPrefix }) });
    }
    const bins = readIntegerParam(params, "bins", { min: 1, max: 200, fallback: 20 });
    return c.json({
      success: true,
      data: await store.heatmapGrid(item, { bins, mapSize: options.mapSize, matchPrefix }),
    });
  });
  rejectOtherMethods(app, "/api/heatmap/:item", ["GET"]);
}
