import { type Problem, ValidationError } from "./errors.ts";
import { parseJsonBounded } from "./json.ts";

/**
 * Parses newline-delimited JSON (one value per line, blank lines skipped).
 * Throws {@link ValidationError} naming every line that is not JSON (`[line 3]`).
 */
export function parseNdjson(text: string): unknown[] {
  const values: unknown[] = [];
  const problems: Problem[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === "") continue;
    try {
      values.push(parseJsonBounded(line));
    } catch (error) {
      const path = `[line ${index + 1}]`;
      problems.push({ path, message: `${path} is not valid JSON: ${(error as Error).message}` });
    }
  }
  if (problems.length > 0) throw new ValidationError(problems, { summary: "Malformed NDJSON" });
  return values;
}

/** Serializes values as newline-delimited JSON, one per line, ending with a newline. */
export function formatNdjson(values: Iterable<unknown>): string {
  let text = "";
  for (const value of values) text += `${JSON.stringify(value)}\n`;
  return text;
}

/** One line of an NDJSON stream: its 1-based number and parsed value, or why it is not JSON. */
export type NdjsonLine = { line: number; value: unknown } | { line: number; error: string };

/**
 * Reads NDJSON from a byte stream line by line, without holding the whole body: memory stays at
 * one line plus the caller's buffer, and the work is linear however long a line is (lines are
 * split on bytes, each decoded once). Each line must be UTF-8 (decoded strictly: invalid bytes are
 * an error for that line, never replaced) and nest at most `MAX_JSON_DEPTH` (32) levels. Blank
 * lines are skipped; `maxBytes` stops a body that is too long (throwing
 * {@link NdjsonTooLargeError}) while it is read, and a line longer than `maxLineBytes` is an error
 * for that line, its bytes dropped as they arrive.
 * @example
 * for await (const entry of readNdjson(file.readable)) if ("value" in entry) handle(entry.value);
 */
export async function* readNdjson(
  stream: ReadableStream<Uint8Array>,
  options: { maxBytes?: number; maxLineBytes?: number } = {},
): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const maxLineBytes = options.maxLineBytes ?? Infinity;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  let bytes = 0;
  const keep = (part: Uint8Array) => {
    pendingBytes += part.byteLength;
    if (pendingBytes <= maxLineBytes) pending.push(part);
  };
  const parse = (parts: Uint8Array[]): NdjsonLine | undefined => {
    lineNumber++;
    if (pendingBytes > maxLineBytes) {
      // Dropped while it was read: a line this long is refused without decoding or parsing it.
      return { line: lineNumber, error: `it is longer than the limit of ${maxLineBytes} bytes` };
    }
    let text: string;
    try {
      text = decoder.decode(parts.length === 1 ? parts[0] : concatBytes(parts));
    } catch {
      return { line: lineNumber, error: "it is not valid UTF-8" };
    }
    if (text.trim() === "") return undefined;
    try {
      return { line: lineNumber, value: parseJsonBounded(text) };
    } catch (error) {
      return { line: lineNumber, error: (error as Error).message };
    }
  };
  for await (const chunk of stream) {
    bytes += chunk.byteLength;
    if (options.maxBytes !== undefined && bytes > options.maxBytes) {
      throw new NdjsonTooLargeError(options.maxBytes);
    }
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      keep(chunk.subarray(start, newline));
      const entry = parse(pending);
      pending = [];
      pendingBytes = 0;
      if (entry) yield entry;
      start = newline + 1;
    }
    // A copy: the stream may reuse its chunk's buffer once we ask for the next one.
    if (start < chunk.byteLength) keep(chunk.slice(start));
  }
  const last = parse(pending);
  if (last) yield last;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

/** An NDJSON body longer than allowed. */
export class NdjsonTooLargeError extends Error {
  /** Always `"NdjsonTooLargeError"`. */
  override name = "NdjsonTooLargeError";
  /** The limit the body exceeded, in bytes. */
  readonly maxBytes: number;

  /** Names the limit, in bytes, in the message. */
  constructor(maxBytes: number) {
    super(`NDJSON body exceeds the limit of ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}
