/**
 * The read worker's entry (`ReadWorker` in `sqlite.ts` starts it): it takes messages from the first
 * one on and loads the worker's body (`sqlite_read_worker_body.ts`), whose modules await while
 * they load (see `worker_entry.ts`).
 * @module
 */
import { handleMessagesOnceLoaded } from "./worker_entry.ts";

await handleMessagesOnceLoaded(async () =>
  (await import("./sqlite_read_worker_body.ts")).handleReadMessage as (event: MessageEvent) => void
);
