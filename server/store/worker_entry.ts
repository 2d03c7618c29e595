/**
 * For a worker's entry module: Deno drops a message that reaches a worker before it has set a
 * handler, and a worker whose modules await while they load (lib's fingerprint compiles
 * WebAssembly) sets its handler only after that, while its parent posts to it at once. So the entry
 * module imports only this, which sets a handler at once, and loads the rest itself.
 * @module
 */
/// <reference lib="deno.worker" />

/** A worker's message handler. */
export type WorkerHandler = (event: MessageEvent) => void;

/**
 * Holds every message that arrives until `load` gives the worker's handler, then hands it those in
 * order and lets it take the rest.
 * @example
 * await handleMessagesOnceLoaded(async () => (await import("./body.ts")).handleMessage);
 */
export async function handleMessagesOnceLoaded(load: () => Promise<WorkerHandler>): Promise<void> {
  const held: MessageEvent[] = [];
  self.onmessage = (event) => void held.push(event);
  const handle = await load();
  self.onmessage = handle;
  for (const event of held.splice(0)) handle(event);
}
