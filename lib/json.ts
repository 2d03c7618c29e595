/**
 * JSON text from untrusted clients, parsed with bounds: nesting is measured on the text before
 * `JSON.parse` builds anything, so a million-level value costs one linear scan, not seconds.
 * @module
 */

/** Deepest nesting of arrays and objects accepted in a request body (a sheet needs 3; `extra` up to 16 more). */
export const MAX_JSON_DEPTH = 32;

/** Why a JSON text was refused: not JSON at all, or nested too deeply. */
export class JsonTextError extends Error {
  /** Always `"JsonTextError"`. */
  override name = "JsonTextError";
}

/**
 * Parses JSON text whose nesting is at most `maxDepth` levels, throwing {@link JsonTextError} with
 * the parser's or the depth check's reason.
 * @example
 * parseJsonBounded('{"a":[1]}'); // { a: [1] }
 */
export function parseJsonBounded(text: string, maxDepth: number = MAX_JSON_DEPTH): unknown {
  const depth = measureJsonDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new JsonTextError(`JSON nests deeper than the limit of ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonTextError((error as Error).message, { cause: error });
  }
}

/**
 * The nesting depth of JSON text (brackets and braces outside strings), counting stops at
 * `limit + 1`. Linear in the text and allocation-free; the text need not be valid JSON.
 */
export function measureJsonDepth(text: string, limit: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}
