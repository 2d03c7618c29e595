import { deepStrictEqual } from "node:assert/strict";

Deno.test("a worker entry takes the messages posted while its body loads, in order", async () => {
  const worker = new Worker(new URL("./fixtures/slow_loading_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    const { promise, resolve } = Promise.withResolvers<string[]>();
    const replies: string[] = [];
    worker.onmessage = (event) => {
      replies.push(event.data);
      if (replies.length === 3) resolve(replies);
    };
    for (const message of ["first", "second", "third"]) worker.postMessage(message);
    const timeout = setTimeout(() => resolve(replies), 5_000);
    deepStrictEqual(await promise, ["got first", "got second", "got third"]);
    clearTimeout(timeout);
  } finally {
    worker.terminate();
  }
});
