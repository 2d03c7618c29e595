import { Hono, type MiddlewareHandler } from "hono";
import { parseLiveQuery } from "../../lib/mod.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { HttpError } from "../http_error.ts";
import type { LiveHub, LiveTransport } from "../live.ts";
import { searchParamsOf } from "../request.ts";

/** WebSocket close code for "closed by the server, with a reason" (4000–4999 are the application's). */
const CLOSE_BY_SERVER = 4000;

/**
 * `GET /api/live` (WebSocket), `GET /api/live/events` (Server-Sent Events), both with
 * `?game_mode=`, and `POST /api/live/ticket`; mounted at `/api/live`. When the server has a read
 * key, a live connection presents it in a header (curl, EventSource polyfills) or a single-use
 * ticket in `?ticket=` (browsers cannot set headers on a WebSocket or an EventSource).
 */
export function createLiveRoutes(deps: AppDeps): Hono<AppEnv> {
  const { live, tickets, guard } = deps;
  const reader = guard.role("read");
  const access: MiddlewareHandler<AppEnv> = async (c, next) => {
    const { ticket } = parseLiveQuery(searchParamsOf(c));
    if (!deps.keys.readKey || ticket === undefined) return await reader(c, next);
    if (!tickets.redeem(ticket)) {
      throw new HttpError(
        403,
        "The ticket is unknown, already used or expired (they last 30 s): get a new one from POST /api/live/ticket",
        { code: "invalid_ticket" },
      );
    }
    await next();
  };
  return new Hono<AppEnv>()
    .post("/ticket", reader, (c) => {
      const issued = tickets.issue();
      if (!issued) {
        throw new HttpError(429, "Too many live tickets outstanding; retry after 30 s", {
          code: "rate_limited",
          headers: { "retry-after": "30" },
        });
      }
      return c.json({ success: true, ticket: issued.ticket, expires_in: issued.expiresIn }, 201);
    })
    .get("/", access, (c) => {
      const { gameMode } = parseLiveQuery(searchParamsOf(c));
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new HttpError(
          426,
          "GET /api/live is a WebSocket: connect with one (ws://…/api/live), or use GET /api/live/events for Server-Sent Events",
          { code: "upgrade_required", headers: { upgrade: "websocket" } },
        );
      }
      const release = reserve(live);
      let upgraded: { socket: WebSocket; response: Response };
      try {
        upgraded = Deno.upgradeWebSocket(c.req.raw);
      } catch (error) {
        release();
        throw new HttpError(
          400,
          `Invalid WebSocket handshake: ${(error as Error).message.split("\n")[0]}`,
          { code: "bad_handshake" },
        );
      }
      const { socket, response } = upgraded;
      let detach: (() => void) | undefined;
      socket.onopen = () => {
        detach = live.attach({
          send: (text) => socket.send(text),
          backlog: () => socket.bufferedAmount,
          close: (reason) => socket.close(CLOSE_BY_SERVER, reason.slice(0, 120)),
        }, { gameMode });
        release(); // the client now counts as attached
      };
      socket.onclose = () => {
        detach?.();
        release();
      };
      // Nothing is expected from the client; an error is followed by close.
      socket.onerror = () => {};
      return response;
    })
    .get("/events", access, (c) => {
      const { gameMode } = parseLiveQuery(searchParamsOf(c));
      const release = reserve(live);
      const encoder = new TextEncoder();
      let detach: (() => void) | undefined;
      const end = () => {
        detach?.();
        release();
      };
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          let closed = false;
          const transport: LiveTransport = {
            send(text) {
              if (!closed) controller.enqueue(encoder.encode(`data: ${text}\n\n`));
            },
            // A high-water mark of 0 bytes makes desiredSize minus the bytes still queued.
            backlog: () => Math.max(0, -(controller.desiredSize ?? 0)),
            close(reason) {
              if (closed) return;
              transport.send(JSON.stringify({ type: "close", reason }));
              closed = true;
              controller.close();
              end();
            },
          };
          controller.enqueue(encoder.encode("retry: 2000\n\n"));
          detach = live.attach(transport, { gameMode });
          release(); // the client now counts as attached
          // A client that goes away is noticed here at once, not at the next write.
          const info = c.env as Partial<Deno.ServeHandlerInfo> | undefined;
          info?.completed?.catch(() => {}).finally(() => {
            closed = true;
            end();
          });
        },
        cancel: end,
      }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }));
      return c.body(body, 200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      });
    });
}

/** Holds a live client's place, or throws 503 when the limit is reached. */
function reserve(live: LiveHub): () => void {
  const release = live.reserve();
  if (!release) {
    throw new HttpError(
      503,
      `Too many live clients: at most ${live.maxClients} at once; retry later`,
      { code: "too_many_live_clients", headers: { "retry-after": "5" } },
    );
  }
  return release;
}
