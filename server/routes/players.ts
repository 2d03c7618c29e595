import { Hono } from "hono";
import {
  formatPlayerCursor,
  NotFoundError,
  parsePlayerId,
  parsePlayersQuery,
} from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";

/**
 * `GET /api/players` (most matches first, keyset cursor) and `GET /api/players/:player_id` (one
 * player's history); mounted at `/api/players`.
 */
export function createPlayersRoutes({ store, guard }: AppDeps): Hono<AppEnv> {
  const reader = guard.role("read");
  return new Hono<AppEnv>()
    .get("/", reader, async (c) => {
      const request = parsePlayersQuery(searchParamsOf(c));
      const data = await store.listPlayers(request);
      const last = data.at(-1);
      const next = data.length === request.limit && last ? formatPlayerCursor(last) : null;
      return c.json({ success: true, data, next });
    })
    .get("/:player_id", reader, async (c) => {
      const playerId = parsePlayerId(c.req.param("player_id"), searchParamsOf(c));
      const data = await store.player(playerId);
      if (!data) throw new NotFoundError(`No player ${JSON.stringify(playerId)} has sent a sheet`);
      return c.json({ success: true, data });
    });
}
