import { deepStrictEqual, equal, rejects } from "node:assert/strict";
import { formatNdjson, NdjsonTooLargeError, parseNdjson, readNdjson } from "../lib/mod.ts";

/** A stream that hands out `bytes` in chunks of `size`, as a socket would. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>) {
  const entries = [];
  for await (const entry of readNdjson(stream)) entries.push(entry);
  return entries;
}

Deno.test("readNdjson() reads lines split anywhere, multi-byte characters and CRLF included", async () => {
  const values = [{ name: "🦆 duck" }, { name: "médkit", n: 2 }, [1, 2, 3]];
  const bytes = new TextEncoder().encode(formatNdjson(values).replaceAll("\n", "\r\n") + "\n\n");
  for (const size of [1, 2, 3, 7, 64, 4096]) {
    deepStrictEqual(
      await readAll(chunked(bytes, size)),
      [
        { line: 1, value: values[0] },
        { line: 2, value: values[1] },
        { line: 3, value: values[2] },
      ],
      `chunks of ${size} bytes`,
    );
  }
});

Deno.test("readNdjson() names the line with invalid UTF-8 or too much nesting, and reads the rest", async () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  const bytes = new Uint8Array([
    ...encode('{"a":1}\n"'),
    0xff,
    ...encode('"\n'),
    ...encode(`${"[".repeat(40)}${"]".repeat(40)}\n{"b":2}`),
  ]);
  deepStrictEqual(await readAll(chunked(bytes, 5)), [
    { line: 1, value: { a: 1 } },
    { line: 2, error: "it is not valid UTF-8" },
    { line: 3, error: "JSON nests deeper than the limit of 32 levels" },
    { line: 4, value: { b: 2 } },
  ]);
});

Deno.test("readNdjson() reads one 8 MiB line in chunks (the reader is linear) and stops at maxBytes", async () => {
  const line = JSON.stringify({ notes: "x".repeat(8 * 1024 * 1024) });
  const entries = await readAll(chunked(new TextEncoder().encode(line), 16 * 1024));
  equal(entries.length, 1);
  equal((entries[0] as { value: { notes: string } }).value.notes.length, 8 * 1024 * 1024);
  await rejects(
    async () => {
      for await (const _ of readNdjson(chunked(new Uint8Array(100), 10), { maxBytes: 50 })) {
        // drain
      }
    },
    NdjsonTooLargeError,
  );
});

Deno.test("parseNdjson() names every line that is not JSON", () => {
  deepStrictEqual(parseNdjson('{"a":1}\n\n[2]\n'), [{ a: 1 }, [2]]);
  let message = "";
  try {
    parseNdjson('{"a":1}\nnope\n[3');
  } catch (error) {
    message = (error as Error).message;
  }
  equal(message.startsWith("Malformed NDJSON: [line 2] is not valid JSON"), true, message);
  equal(message.endsWith("(and 1 more problem)"), true, message);
});

Deno.test("readNdjson() refuses a line over maxLineBytes without keeping it, and reads on", async () => {
  const bytes = new TextEncoder().encode(`{"a":1}\n"${"x".repeat(5_000)}"\n{"b":2}\n`);
  const entries = [];
  for await (const entry of readNdjson(chunked(bytes, 100), { maxLineBytes: 1_000 })) {
    entries.push(entry);
  }
  deepStrictEqual(entries, [
    { line: 1, value: { a: 1 } },
    { line: 2, error: "it is longer than the limit of 1000 bytes" },
    { line: 3, value: { b: 2 } },
  ]);
});
