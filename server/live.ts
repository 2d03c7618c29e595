/**
 * The live feed behind `GET /api/live` (WebSocket) and `/api/live/events` (Server-Sent Events): a
 * hub that listens to the store's commits and tells each client, at most once per coalescing
 * window, what its filter gained. Memory per client is bounded: what waits between messages is a
 * sum per item (not a queue of commits), and a client whose transport backs up is skipped, sent a
 * fresh snapshot once it catches up, or closed when it stays stalled.
 * @module
 */
import type { Aggregate, LootCounts, PreparedSheet } from "../lib/mod.ts";
import type { Store } from "./store/store.ts";

/** What a live client receives. */
export type LiveMessage =
  | { type: "snapshot"; data: Aggregate }
  | { type: "ingest"; sheets: number; total_items: LootCounts; at: string };

/** How the hub reaches one client: a WebSocket or an SSE stream. */
export interface LiveTransport {
  /** Hands one message's text to the connection; must not throw. */
  send(text: string): void;
  /** Bytes handed over but not yet written to the network. */
  backlog(): number;
  /** Ends the connection, saying why. */
  close(reason: string): void;
}

/** Limits of the live feed; every one has a default. */
export interface LiveOptions {
  /** Concurrent live clients; one more is answered 503 (default 100). */
  maxClients?: number;
  /** At most one ingest message per client per this many ms (default 250). */
  coalesceMs?: number;
  /** A client whose transport holds more unsent bytes than this is behind (default 1 MiB). */
  maxBacklogBytes?: number;
  /** A client behind for longer than this is closed (default 30 s). */
  stallMs?: number;
}

/** Default of {@link LiveOptions.maxClients}. */
export const DEFAULT_MAX_LIVE_CLIENTS = 100;

interface LiveClient {
  transport: LiveTransport;
  gameMode: string | undefined;
  /** False until the first snapshot went out: deltas wait behind it. */
  ready: boolean;
  pendingSheets: number;
  pendingItems: Map<string, number>;
  lastSent: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  behindSince: number | undefined;
  /** Set when deltas were dropped while behind: the next message is a fresh snapshot. */
  needsSnapshot: boolean;
}

/** Delta of one commit for one filter: sheets and units per item. */
interface Delta {
  sheets: number;
  items: Map<string, number>;
}

/**
 * Fans commits out to live clients. It subscribes to the store only while it has clients, so an
 * idle server pays nothing; per commit it sums the new sheets once per distinct filter.
 */
export class LiveHub {
  readonly #store: Store;
  readonly #clients = new Set<LiveClient>();
  readonly #maxClients: number;
  readonly #coalesceMs: number;
  readonly #maxBacklog: number;
  readonly #stallMs: number;
  #unsubscribe: (() => void) | undefined;
  #reserved = 0;

  constructor(store: Store, options: LiveOptions = {}) {
    this.#store = store;
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_LIVE_CLIENTS;
    this.#coalesceMs = options.coalesceMs ?? 250;
    this.#maxBacklog = options.maxBacklogBytes ?? 1024 * 1024;
    this.#stallMs = options.stallMs ?? 30_000;
  }

  /** Clients connected or connecting. */
  get size(): number {
    return this.#clients.size + this.#reserved;
  }

  /** The configured limit of concurrent clients. */
  get maxClients(): number {
    return this.#maxClients;
  }

  /**
   * Holds a place for a client about to connect (a WebSocket between upgrade and open), or returns
   * undefined when the hub is full. The returned function releases the place.
   */
  reserve(): (() => void) | undefined {
    if (this.size >= this.#maxClients) return undefined;
    this.#reserved++;
    let released = false;
    return () => {
      if (!released) this.#reserved--;
      released = true;
    };
  }

  /**
   * Starts feeding a client: a snapshot of the aggregate now, then ingest messages. Returns the
   * function to call when the connection ends.
   */
  attach(transport: LiveTransport, filter: { gameMode?: string } = {}): () => void {
    const client: LiveClient = {
      transport,
      gameMode: filter.gameMode,
      ready: false,
      pendingSheets: 0,
      pendingItems: new Map(),
      lastSent: 0,
      timer: undefined,
      behindSince: undefined,
      needsSnapshot: false,
    };
    this.#clients.add(client);
    this.#unsubscribe ??= this.#store.onCommit((sheets) => this.#onCommit(sheets), {
      // Commits the store may not have told of (a lost connection): every client's totals are
      // read afresh, as for a client that fell behind.
      onMissed: () => this.#resyncAll(),
    });
    void this.#sendSnapshot(client);
    return () => this.#detach(client);
  }

  /** Closes every client (server shutdown), each told why. */
  closeAll(reason: string): void {
    for (const client of [...this.#clients]) {
      this.#detach(client);
      client.transport.close(reason);
    }
  }

  #detach(client: LiveClient): void {
    if (!this.#clients.delete(client)) return;
    clearTimeout(client.timer);
    if (this.#clients.size === 0) {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
    }
  }

  /**
   * Reads the aggregate and sends it. Once the store's reads have caught up with every commit
   * announced, it reads without waiting for another commit's announcement, so deltas reset here
   * and gathered afterwards are exactly the commits the snapshot does not include.
   */
  async #sendSnapshot(client: LiveClient): Promise<void> {
    let data: Aggregate;
    try {
      await this.#store.readsCaughtUp();
      client.pendingSheets = 0;
      client.pendingItems.clear();
      client.needsSnapshot = false;
      data = await this.#store.aggregate(
        client.gameMode === undefined ? {} : { gameMode: client.gameMode },
      );
    } catch {
      this.#detach(client);
      client.transport.close("The database did not answer: reconnect in a moment");
      return;
    }
    if (!this.#clients.has(client)) return;
    client.transport.send(JSON.stringify({ type: "snapshot", data } satisfies LiveMessage));
    client.lastSent = performance.now();
    client.ready = true;
    if (client.pendingSheets > 0) this.#schedule(client);
  }

  #resyncAll(): void {
    for (const client of this.#clients) {
      client.needsSnapshot = true;
      if (client.ready) this.#schedule(client);
    }
  }

  #onCommit(sheets: readonly PreparedSheet[]): void {
    const deltas = new Map<string | undefined, Delta>();
    for (const client of this.#clients) {
      let delta = deltas.get(client.gameMode);
      if (!delta) {
        delta = sumSheets(sheets, client.gameMode);
        deltas.set(client.gameMode, delta);
      }
      if (delta.sheets === 0) continue;
      client.pendingSheets += delta.sheets;
      for (const [item, units] of delta.items) {
        client.pendingItems.set(item, (client.pendingItems.get(item) ?? 0) + units);
      }
      if (client.ready) this.#schedule(client);
    }
  }

  #schedule(client: LiveClient): void {
    if (client.timer !== undefined) return;
    const wait = Math.max(0, client.lastSent + this.#coalesceMs - performance.now());
    client.timer = setTimeout(() => {
      client.timer = undefined;
      this.#flush(client);
    }, wait);
  }

  #flush(client: LiveClient): void {
    if (!this.#clients.has(client) || !client.ready) return;
    const now = performance.now();
    if (client.transport.backlog() > this.#maxBacklog) {
      client.behindSince ??= now;
      if (now - client.behindSince > this.#stallMs) {
        this.#detach(client);
        client.transport.close(
          `Fell behind for more than ${this.#stallMs / 1000} s: reconnect for a fresh snapshot`,
        );
        return;
      }
      // Deltas are dropped rather than queued; the client gets a fresh snapshot once it catches up.
      client.pendingSheets = 0;
      client.pendingItems.clear();
      client.needsSnapshot = true;
      client.lastSent = now;
      this.#schedule(client);
      return;
    }
    client.behindSince = undefined;
    if (client.needsSnapshot) {
      client.ready = false;
      void this.#sendSnapshot(client);
      return;
    }
    if (client.pendingSheets === 0) return;
    const message: LiveMessage = {
      type: "ingest",
      sheets: client.pendingSheets,
      total_items: Object.fromEntries(
        [...client.pendingItems].sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      at: new Date().toISOString(),
    };
    client.pendingSheets = 0;
    client.pendingItems.clear();
    client.lastSent = now;
    client.transport.send(JSON.stringify(message));
  }
}

/** Sheets and units per item among `sheets`, only those of `gameMode` when it is set. */
function sumSheets(sheets: readonly PreparedSheet[], gameMode: string | undefined): Delta {
  const delta: Delta = { sheets: 0, items: new Map() };
  for (const { sheet } of sheets) {
    if (gameMode !== undefined && sheet.game_mode !== gameMode) continue;
    delta.sheets++;
    for (const [item, units] of Object.entries(sheet.looted_items)) {
      delta.items.set(item, (delta.items.get(item) ?? 0) + units);
    }
  }
  return delta;
}

/** Single-use tickets that let a browser open a live connection when reads need a key. */
export class LiveTickets {
  readonly #tickets = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(options: { ttlMs?: number; max?: number } = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#max = options.max ?? 1_000;
  }

  /** A new ticket (128 random bits, base64url) and its lifetime in seconds. */
  issue(): { ticket: string; expiresIn: number } | undefined {
    this.#prune();
    if (this.#tickets.size >= this.#max) return undefined;
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const ticket = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    this.#tickets.set(ticket, performance.now() + this.#ttlMs);
    return { ticket, expiresIn: this.#ttlMs / 1000 };
  }

  /** True once for a ticket issued and not yet expired; it is used up either way. */
  redeem(ticket: string): boolean {
    const expires = this.#tickets.get(ticket);
    this.#tickets.delete(ticket);
    return expires !== undefined && expires > performance.now();
  }

  #prune(): void {
    const now = performance.now();
    for (const [ticket, expires] of this.#tickets) if (expires <= now) this.#tickets.delete(ticket);
  }
}
