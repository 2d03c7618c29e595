import { Hono } from "hono";
import { type HeatmapPoints, parseHeatmapQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/** Points serialized per chunk of a streamed answer: small enough that other requests interleave. */
const POINTS_PER_CHUNK = 5_000;

/**
 * `GET /api/heatmap/:item`: every looted unit's location (the original's shape, streamed, at most
 * `MAX_HEATMAP_POINTS`), or with `?bins=N` a grid summed by the store; mounted at `/api/heatmap`.
 */
export function createHeatmapRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/:item", guard.role("read"), async (c) => {
    const { item, bins, ...filter } = parseHeatmapQuery(c.req.param("item"), searchParamsOf(c));
    if (bins !== undefined) {
      return c.json({ success: true, data: await store.heatmapGrid(item, { bins, ...filter }) });
    }
    const points = await store.heatmapPoints(item, filter);
    return c.body(streamPointsJson(points), 200, { "content-type": "application/json" });
  });
}

/**
 * The points answer as JSON text in chunks, so a large answer is never one big string and the
 * event loop serves other requests between chunks.
 */
function streamPointsJson(points: HeatmapPoints): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(
        encoder.encode(
          `{"success":true,"data":{"item_name":${JSON.stringify(points.item_name)},"locations":[`,
        ),
      );
    },
    pull(controller) {
      const slice = points.locations.slice(next, next + POINTS_PER_CHUNK);
      if (slice.length > 0) {
        const text = slice.map(([x, y]) => `[${x},${y}]`).join(",");
        controller.enqueue(encoder.encode(next === 0 ? text : `,${text}`));
        next += slice.length;
        return;
      }
      controller.enqueue(encoder.encode(`],"count":${points.count}}}`));
      controller.close();
    },
  });
}
