import { Hono } from "hono";
import {
  compareVariants,
  NotFoundError,
  parseAnomaliesQuery,
  parseExperimentQuery,
  parseExperimentsQuery,
} from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/**
 * `GET /api/experiments` (every experiment's variants) and `GET /api/experiments/:name` (Welch's
 * t-test per variant against control, player as the unit, and the SRM check, by lib's
 * `analyzeExperiment` over the per-player rollup); mounted at `/api/experiments`.
 */
export function createExperimentsRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  const reader = guard.role("read");
  return new Hono<AppEnv>()
    .get("/", reader, async (c) => {
      parseExperimentsQuery(searchParamsOf(c));
      return c.json({ success: true, data: await store.listExperiments() });
    })
    .get("/:name", reader, async (c) => {
      const request = parseExperimentQuery(c.req.param("name"), searchParamsOf(c));
      const stats = await store.experimentStats(request.name, request.metric);
      if (stats.length === 0) {
        throw new NotFoundError(
          `No experiment ${
            JSON.stringify(request.name)
          } has sheets; GET /api/experiments lists them`,
        );
      }
      return c.json({ success: true, data: compareVariants(stats, request) });
    });
}

/** `GET /api/anomalies`: sheets the rules of lib/anomalies.ts flag, newest first; at `/api/anomalies`. */
export function createAnomaliesRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), async (c) => {
    const request = parseAnomaliesQuery(searchParamsOf(c));
    const data = await store.anomalies(request);
    const next = data.length === request.limit ? String(data.at(-1)!.id) : null;
    return c.json({ success: true, data, next });
  });
}
