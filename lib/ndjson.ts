import { type Problem, ValidationError } from "./errors.ts";

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
      values.push(JSON.parse(line));
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
 * one line plus the caller's buffer. Blank lines are skipped; `maxBytes` stops a body that is too
 * long (throwing {@link NdjsonTooLargeError}) while it is read.
 * @example
 * for await (const entry of readNdjson(file.readable)) if ("value" in entry) handle(entry.value);
 */
export async function* readNdjson(
  stream: ReadableStream<Uint8Array>,
  options: { maxBytes?: number } = {},
): AsyncGenerator<NdjsonLine> {
  const decoder = new TextDecoder();
  let pending = "";
  let lineNumber = 0;
  let bytes = 0;
  const parse = (text: string): NdjsonLine | undefined => {
    lineNumber++;
    const trimmed = text.trim();
    if (trimmed === "") return undefined;
    try {
      return { line: lineNumber, value: JSON.parse(trimmed) };
    } catch (error) {
      return { line: lineNumber, error: (error as Error).message };
    }
  };
  for await (const chunk of stream) {
    bytes += chunk.byteLength;
    if (options.maxBytes !== undefined && bytes > options.maxBytes) {
      throw new NdjsonTooLargeError(options.maxBytes);
    }
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const entry = parse(pending.slice(0, newline));
      if (entry) yield entry;
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  const last = parse(pending);
  if (last) yield last;
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
