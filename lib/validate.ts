import { ProblemList, ValidationError } from "./errors.ts";
import { describeBadItemName } from "./items.ts";
import { describeTimestampRange, parseIsoTimestamp } from "./timestamps.ts";
import type { ItemLocation, ItemLocations, LootCounts, StatSheet } from "./types.ts";

/** Limits a stat sheet must respect; the defaults are the documented API limits. */
export const SHEET_LIMITS: Readonly<{
  /** Longest `match_id` or `player_id`, in characters (UTF-16 code units). */
  maxIdLength: number;
  /** Largest count of one item in `looted_items`. */
  maxCount: number;
  /** Most entries in `looted_items`. */
  maxItems: number;
  /** Largest `match_duration` or `player_level`. */
  maxMetric: number;
  /** Largest size of the unknown (extra) top-level fields, as UTF-8 JSON bytes. */
  maxExtraBytes: number;
  /** Deepest nesting of the extra fields. */
  maxExtraDepth: number;
}> = Object.freeze({
  maxIdLength: 128,
  maxCount: 1_000_000,
  maxItems: 256,
  maxMetric: 1_000_000_000,
  maxExtraBytes: 16_384,
  maxExtraDepth: 16,
});

const KNOWN_FIELDS = new Set([
  "match_id",
  "player_id",
  "timestamp",
  "sent_at",
  "looted_items",
  "locations",
  "match_duration",
  "player_level",
  "game_mode",
  "experiment",
  "variant",
]);
/** Fields the server assigns: a client sending them is confused about what it is talking to. */
const SERVER_FIELDS = new Set(["id", "created_at"]);
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Validates an untrusted value as a stat sheet, returning a clean copy.
 * Throws {@link ValidationError} listing every problem with its field path.
 * @example
 * const sheet = parseStatSheet(JSON.parse(body));
 */
export function parseStatSheet(value: unknown): StatSheet {
  const problems = new ProblemList();
  const sheet = collectStatSheet(value, "", problems);
  if (!sheet) throw new ValidationError(problems, { summary: "Invalid stat sheet" });
  return sheet;
}

/**
 * Validates an untrusted value as a non-empty array of at most `maxSheets` stat sheets.
 * Problems are prefixed with the sheet's index: `[3].looted_items.medkit`.
 */
export function parseStatSheetBatch(
  value: unknown,
  options: { maxSheets?: number } = {},
): StatSheet[] {
  if (!Array.isArray(value)) {
    throw new ValidationError([{
      path: "",
      message: `Batch must be a JSON array of stat sheets, got ${typeName(value)}`,
    }], { summary: "Invalid batch" });
  }
  const maxSheets = options.maxSheets ?? 5_000;
  if (value.length > maxSheets) {
    throw new ValidationError([{
      path: "",
      message: `Batch holds ${value.length} stat sheets, more than the limit of ${maxSheets}`,
    }], { summary: "Invalid batch" });
  }
  const validator = createBatchValidator(options);
  for (const item of value) validator.add(item);
  return validator.finish();
}

/** Validates a batch one sheet at a time: see {@link createBatchValidator}. */
export interface BatchValidator {
  /** Checks the next sheet of the batch; throws at once when the batch passes `maxSheets`. */
  add(value: unknown): void;
  /** The valid batch, or a `ValidationError` with every problem found (the first 100 listed). */
  finish(): StatSheet[];
}

/**
 * A validator fed one sheet at a time, so a server can check a large batch in slices and let other
 * requests run between them; {@link parseStatSheetBatch} is the same checks over an array.
 * @example
 * const validator = createBatchValidator({ maxSheets: 5_000 });
 * for (const value of values) validator.add(value);
 * const sheets = validator.finish();
 */
export function createBatchValidator(options: { maxSheets?: number } = {}): BatchValidator {
  const maxSheets = options.maxSheets ?? 5_000;
  const problems = new ProblemList();
  const sheets: StatSheet[] = [];
  let count = 0;
  const fail = (message: string): never => {
    throw new ValidationError([{ path: "", message }], { summary: "Invalid batch" });
  };
  return {
    add(value) {
      if (count >= maxSheets) fail(`Batch holds more than the limit of ${maxSheets} stat sheets`);
      const sheet = collectStatSheet(value, `[${count}]`, problems);
      count++;
      if (sheet) sheets.push(sheet);
    },
    finish() {
      if (count === 0) fail("Batch must hold at least one stat sheet, got an empty array");
      if (problems.total > 0) throw new ValidationError(problems, { summary: "Invalid batch" });
      return sheets;
    },
  };
}

function collectStatSheet(
  value: unknown,
  prefix: string,
  problems: ProblemList,
): StatSheet | undefined {
  const before = problems.total;
  const report = (field: string, message: string) => {
    const path = joinPath(prefix, field);
    problems.push({ path, message: path ? `${path} ${message}` : message });
  };
  if (!isPlainObject(value)) {
    report(
      "",
      `${prefix ? "must be" : "Stat sheet must be"} a JSON object, got ${typeName(value)}`,
    );
    return undefined;
  }
  const matchId = readId(value, "match_id", report);
  const playerId = readId(value, "player_id", report);
  const lootedItems = readLootCounts(value.looted_items, report);
  const locations = readLocations(value.locations, value.looted_items, report);
  const timestamp = readTimestamp(value.timestamp, report);
  const sentAt = readTimestamp(value.sent_at, report, "sent_at");
  const matchDuration = readMetric(value, "match_duration", report);
  const playerLevel = readMetric(value, "player_level", report);
  const gameMode = readName(value, "game_mode", report);
  const experiment = readName(value, "experiment", report);
  const variant = readName(value, "variant", report);
  if (experiment !== undefined && variant === undefined && value.variant == null) {
    report("variant", `is required when experiment is given (experiment ${experiment})`);
  }
  if (variant !== undefined && experiment === undefined && value.experiment == null) {
    report("experiment", `is required when variant is given (variant ${variant})`);
  }
  const extra = readExtra(value, report);
  if (problems.total > before) return undefined;

  const sheet: StatSheet = {
    match_id: matchId!,
    player_id: playerId!,
    looted_items: lootedItems!,
    locations: locations ?? {},
  };
  if (timestamp !== undefined) sheet.timestamp = timestamp;
  if (sentAt !== undefined) sheet.sent_at = sentAt;
  if (matchDuration !== undefined) sheet.match_duration = matchDuration;
  if (playerLevel !== undefined) sheet.player_level = playerLevel;
  if (gameMode !== undefined) sheet.game_mode = gameMode;
  if (experiment !== undefined) sheet.experiment = experiment;
  if (variant !== undefined) sheet.variant = variant;
  if (extra !== undefined) sheet.extra = extra;
  return sheet;
}

type Report = (field: string, message: string) => void;

function readId(sheet: Record<string, unknown>, field: string, report: Report): string | undefined {
  const value = sheet[field];
  if (value === undefined || value === null) return void report(field, "is required");
  if (typeof value !== "string") {
    return void report(field, `must be a string, got ${typeName(value)}`);
  }
  if (value.length === 0) return void report(field, "must not be empty");
  const characters = countCharacters(value);
  if (characters > SHEET_LIMITS.maxIdLength) {
    return void report(
      field,
      `must be at most ${SHEET_LIMITS.maxIdLength} characters (Unicode code points), got ${characters}`,
    );
  }
  if (CONTROL_CHARACTERS.test(value)) {
    return void report(field, "must not contain control characters");
  }
  if (!value.isWellFormed()) {
    return void report(field, "must be well-formed Unicode (it has a lone surrogate)");
  }
  return value;
}

/** An optional name field (`game_mode`): the item-name pattern, so it is safe as a key and a label. */
function readName(
  sheet: Record<string, unknown>,
  field: string,
  report: Report,
): string | undefined {
  const value = sheet[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    return void report(field, `must be a string, got ${typeName(value)}`);
  }
  const bad = describeBadItemName(value);
  return bad ? void report(field, bad) : value;
}

function readLootCounts(value: unknown, report: Report): LootCounts | undefined {
  if (value === undefined || value === null) return void report("looted_items", "is required");
  if (!isPlainObject(value)) {
    return void report(
      "looted_items",
      `must be an object of item name to count, got ${typeName(value)}`,
    );
  }
  const entries = Object.entries(value);
  if (entries.length > SHEET_LIMITS.maxItems) {
    return void report(
      "looted_items",
      `must name at most ${SHEET_LIMITS.maxItems} items, got ${entries.length}`,
    );
  }
  let valid = true;
  for (const [name, count] of entries) {
    const badName = describeBadItemName(name);
    if (badName) {
      report("looted_items", `has an invalid item name: it ${badName}`);
      valid = false;
    } else if (
      !Number.isInteger(count) || (count as number) < 0 || (count as number) > SHEET_LIMITS.maxCount
    ) {
      report(
        `looted_items.${name}`,
        `must be an integer from 0 to ${SHEET_LIMITS.maxCount}, got ${show(count)}`,
      );
      valid = false;
    }
  }
  return valid ? Object.fromEntries(entries) as LootCounts : undefined;
}

function readLocations(
  value: unknown,
  lootedItems: unknown,
  report: Report,
): ItemLocations | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    return void report(
      "locations",
      `must be an object of item name to [x, y], got ${typeName(value)}`,
    );
  }
  const locations: [string, ItemLocation][] = [];
  for (const [name, point] of Object.entries(value)) {
    const badName = describeBadItemName(name);
    if (badName) {
      report("locations", `has an invalid item name: it ${badName}`);
    } else if (isPlainObject(lootedItems) && !Object.hasOwn(lootedItems, name)) {
      report(`locations.${name}`, "is given for an item that is not in looted_items");
    } else if (
      !Array.isArray(point) || point.length !== 2 ||
      !point.every((coordinate) => typeof coordinate === "number" && Number.isFinite(coordinate))
    ) {
      report(`locations.${name}`, `must be [x, y] with two finite numbers, got ${show(point)}`);
    } else {
      locations.push([name, [point[0], point[1]]]);
    }
  }
  return Object.fromEntries(locations);
}

function readTimestamp(value: unknown, report: Report, field = "timestamp"): string | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "string" ? parseIsoTimestamp(value) : undefined;
  if (ms === undefined) {
    return void report(
      field,
      `must be an ISO 8601 date-time such as 2025-10-23T10:30:00Z (offset Z or ±hh:mm), got ${
        show(value)
      }`,
    );
  }
  const outOfRange = describeTimestampRange(ms);
  if (outOfRange) return void report(field, `${outOfRange}, got ${show(value)}`);
  return value as string;
}

function readMetric(
  sheet: Record<string, unknown>,
  field: string,
  report: Report,
): number | undefined {
  const value = sheet[field];
  if (value === undefined || value === null) return undefined;
  if (
    !Number.isInteger(value) || (value as number) < 0 || (value as number) > SHEET_LIMITS.maxMetric
  ) {
    return void report(
      field,
      `must be an integer from 0 to ${SHEET_LIMITS.maxMetric}, got ${show(value)}`,
    );
  }
  return value as number;
}

function readExtra(
  sheet: Record<string, unknown>,
  report: Report,
): Record<string, unknown> | undefined {
  const entries = Object.entries(sheet).filter(([key]) => !KNOWN_FIELDS.has(key));
  if (entries.length === 0) return undefined;
  for (const [key] of entries) {
    if (SERVER_FIELDS.has(key)) {
      return void report(key, "is assigned by the server and must not be sent");
    }
  }
  // Object.fromEntries defines own properties, so a "__proto__" key stays data.
  const extra = Object.fromEntries(entries);
  if (depthOf(extra, SHEET_LIMITS.maxExtraDepth + 1) > SHEET_LIMITS.maxExtraDepth) {
    return void report(
      "",
      `Extra fields must nest at most ${SHEET_LIMITS.maxExtraDepth} levels deep`,
    );
  }
  const inexact = findInexactNumber(extra, "");
  if (inexact) {
    return void report(
      inexact.path,
      `must be a finite number that JSON readers hold exactly (integers within ±${Number.MAX_SAFE_INTEGER}), got ${
        show(inexact.value)
      }: it would be stored as something other than what was sent`,
    );
  }
  const bytes = new TextEncoder().encode(JSON.stringify(extra)).length;
  if (bytes > SHEET_LIMITS.maxExtraBytes) {
    return void report(
      "",
      `Extra fields (${
        entries.map(([key]) => key).slice(0, 5).join(", ")
      }) take ${bytes} bytes, more than the limit of ${SHEET_LIMITS.maxExtraBytes}`,
    );
  }
  return extra;
}

/** Nesting depth of a JSON value, counting stops once `limit` is passed (so hostile input costs little). */
function depthOf(value: unknown, limit: number): number {
  if (limit <= 0 || value === null || typeof value !== "object") return 0;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, limit - 1));
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

/**
 * The first number in a JSON value that did not survive parsing exactly: `1e400` arrives as
 * Infinity, and integers past 2^53 arrive rounded. Refused rather than stored altered.
 */
function findInexactNumber(
  value: unknown,
  path: string,
): { path: string; value: number } | undefined {
  if (typeof value === "number") {
    const exact = Number.isFinite(value) &&
      (!Number.isInteger(value) || Number.isSafeInteger(value));
    return exact ? undefined : { path, value };
  }
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = findInexactNumber(
      child,
      Array.isArray(value) ? `${path}[${key}]` : joinPath(path, key),
    );
    if (found) return found;
  }
  return undefined;
}

/** Characters as Unicode code points (an emoji is one), the unit every length limit is stated in. */
export function countCharacters(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // A high surrogate followed by a low one is one code point.
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function joinPath(prefix: string, field: string): string {
  if (!field) return prefix;
  return prefix ? `${prefix}.${field}` : field;
}

/** Names a JSON value's type the way a client developer thinks of it. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Quotes a value in at most about 60 characters without serializing all of it: a client's value
 * can be megabytes, or nested a thousand levels.
 */
function show(value: unknown): string {
  const limit = 60;
  let out = "";
  const visit = (part: unknown, depth: number): void => {
    if (out.length > limit) return;
    if (typeof part === "string") {
      out += JSON.stringify(part.length > limit ? part.slice(0, limit) : part);
    } else if (part === null || typeof part !== "object") out += String(part);
    else if (depth > 4) out += "…";
    else if (Array.isArray(part)) {
      out += "[";
      for (let index = 0; index < part.length && out.length <= limit; index++) {
        if (index > 0) out += ",";
        visit(part[index], depth + 1);
      }
      out += "]";
    } else {
      out += "{";
      let first = true;
      for (const key in part) {
        if (out.length > limit) break;
        out += `${first ? "" : ","}${JSON.stringify(key.slice(0, limit))}:`;
        first = false;
        visit((part as Record<string, unknown>)[key], depth + 1);
      }
      out += "}";
    }
  };
  visit(value, 0);
  return out.length > limit ? `${out.slice(0, limit)}…` : out;
}
