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
