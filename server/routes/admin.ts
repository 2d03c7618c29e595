import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../deps.ts";
import { HttpError } from "../http_error.ts";

/** `GET /api/health` and `POST /api/clear` (the original's reset, now behind the admin key); mounted at `/api`. */
export function createAdminRoutes({ store, keys, guard, now }: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/health", async (c) => {
    try {
      await store.ping();
    } catch (error) {
      return c.json({
        status: "unhealthy",
        timestamp: now().toISOString(),
        message: "Loot Telemetry Server is running but its database does not answer",
        error: `Database does not answer: ${(error as Error).message}`,
      }, 503);
    }
    return c.json({
      status: "healthy",
      timestamp: now().toISOString(),
      message: "Loot Telemetry Server is running",
    });
  });

  routes.post("/clear", async (c) => {
    if (!keys.adminKey) {
      throw new HttpError(
        403,
        "Clearing is disabled: start the server with --admin-key (or LOOT_ADMIN_KEY) and send that key",
        { code: "clear_disabled" },
      );
    }
    guard.check(c, keys.adminKey, "admin key");
    const deleted = await store.clear();
    return c.json({ success: true, message: "Database cleared successfully", deleted });
  });
  return routes;
}
