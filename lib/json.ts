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

/**
 * The text of each element of a JSON array, lazily, so a caller can parse and check a large array
 * element by element (and pause between them) instead of in one blocking `JSON.parse`. Scanning is
 * linear; an element nested deeper than `maxDepth` (counting the array) or a text that is not one
 * array throws {@link JsonTextError}. Elements are not parsed: `JSON.parse` each one.
 * @example
 * [...splitJsonArray('[{"a":1}, [2]]')]; // ['{"a":1}', '[2]']
 */
export function* splitJsonArray(
  text: string,
  maxDepth: number = MAX_JSON_DEPTH,
): Generator<string, void, undefined> {
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== 0x5b) throw new JsonTextError("Expected a JSON array");
  index = skipWhitespace(text, index + 1);
  if (text.charCodeAt(index) === 0x5d) {
    if (skipWhitespace(text, index + 1) !== text.length) {
      throw new JsonTextError("Unexpected text after the JSON array");
    }
    return;
  }
  for (;;) {
    const start = index;
    let depth = 0;
    let inString = false;
    for (; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (inString) {
        if (code === 0x5c) index++;
        else if (code === 0x22) inString = false;
      } else if (code === 0x22) inString = true;
      else if (code === 0x5b || code === 0x7b) {
        if (++depth + 1 > maxDepth) {
          throw new JsonTextError(`JSON nests deeper than the limit of ${maxDepth} levels`);
        }
      } else if (code === 0x5d || code === 0x7d) {
        if (depth === 0) break;
        depth--;
      } else if (code === 0x2c && depth === 0) break;
    }
    if (index >= text.length) throw new JsonTextError("Unexpected end of JSON input");
    yield text.slice(start, index);
    if (text.charCodeAt(index) === 0x5d) break;
    index++; // the comma
  }
  if (skipWhitespace(text, index + 1) !== text.length) {
    throw new JsonTextError("Unexpected text after the JSON array");
  }
}

function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
    index++;
  }
  return index;
}
