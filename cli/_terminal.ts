/**
 * What every task shares on the terminal: strict flag parsing with errors that name the flag,
 * progress lines, colour, aligned tables and file-overwrite notices.
 * @module
 */
import { existsSync } from "node:fs";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { ValidationError } from "../lib/errors.ts";
import { loadScenario, type Scenario } from "../lib/scenario.ts";

/** Writes a progress line that updates in place on a terminal and is printed at most every `everyMs` elsewhere. */
export function createProgressWriter(
  everyMs = 2_000,
): { update(line: string): void; done(line: string): void } {
  const encoder = new TextEncoder();
  const interactive = Deno.stderr.isTerminal();
  let lastPrinted = 0;
  return {
    update(line) {
      if (interactive) {
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
      } else if (performance.now() - lastPrinted >= everyMs) {
        lastPrinted = performance.now();
        console.error(line);
      }
    },
    done(line) {
      if (interactive) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
      console.error(line);
    },
  };
}

/** True when stderr is a terminal and `NO_COLOR` is unset, the only case where colour helps. */
export function stderrHasColor(): boolean {
  return Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
}

/** Wraps `text` in red when `color` is true (see {@link stderrHasColor}). */
export function red(text: string, color: boolean): string {
  return color ? `\x1b[31m${text}\x1b[39m` : text;
}

/** `deno task simulate` from a usage text starting `Usage: deno task simulate …`. */
function commandOf(usage: string): string {
  return usage.match(/^Usage: (deno task \S+)/)?.[1] ?? "the task";
}

/** The line that follows every flag error: where the options are described. */
export function describeHelpHint(usage: string): string {
  return `Run ${commandOf(usage)} --help for the options`;
}

/** Prints `message` and one line pointing to `--help`, for a bad flag; returns the exit code 2. */
export function reportUsageError(message: string, usage: string): number {
  console.error(`${message}\n${describeHelpHint(usage)}`);
  return 2;
}

/** A command-line flag that cannot be used, with a message naming it. */
export class FlagError extends Error {
  override name = "FlagError";
}

type FlagValues<T extends ParseArgsOptionsConfig> = {
  [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * Parses `args` strictly against `options`, throwing {@link FlagError} with a message that names
 * the flag: an unknown one gets the nearest known flag suggested, a flag taking a value takes the
 * next argument whatever it looks like (so `--players -1` reaches validation as "-1").
 */
export function parseFlags<const T extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: T,
  config: { positionals?: boolean } = {},
): { values: FlagValues<T>; positionals: string[] } {
  const shorts = new Map(
    Object.entries(options).flatMap(([name, option]) =>
      option.short ? [[option.short, name] as const] : []
    ),
  );
  const normalized: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      normalized.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!config.positionals) {
        throw new FlagError(
          `Unexpected argument ${JSON.stringify(arg)}: this task takes only flags`,
        );
      }
      normalized.push(arg);
      continue;
    }
    const [written, inline] = splitFlag(arg);
    const name = written.startsWith("--") ? written.slice(2) : shorts.get(written.slice(1));
    const option = name === undefined ? undefined : options[name];
    if (name === undefined || option === undefined) {
      const nearest = suggestFlag(written.replace(/^-+/, ""), Object.keys(options));
      throw new FlagError(
        `Unknown flag ${written}${nearest ? `: did you mean --${nearest}?` : ""}`,
      );
    }
    if (option.type === "boolean") {
      if (inline !== undefined) {
        throw new FlagError(`--${name} takes no value, got ${JSON.stringify(inline)}`);
      }
      normalized.push(`--${name}`);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new FlagError(`--${name} needs a value`);
    normalized.push(`--${name}=${value}`);
  }
  const parsed = parseArgs({
    args: normalized,
    options,
    strict: true,
    allowPositionals: config.positionals ?? false,
  });
  return { values: parsed.values as FlagValues<T>, positionals: parsed.positionals };
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf("=");
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}

/** The known flag closest to a mistyped one (at most two edits away, or a prefix), if any. */
export function suggestFlag(written: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = name.startsWith(written) && written.length >= 3
      ? 1
      : editDistance(written, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return bestDistance <= (written.length <= 3 ? 1 : 2) ? best : undefined;
}

/** Edits (insert, delete, replace, swap two neighbours) between `a` and `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Parses `Deno.args` strictly against `options` (plus `--help`/`-h`). Returns the flags, or the exit
 * code when there is nothing more to do: 0 after printing the usage for `--help`, 2 after naming a
 * bad flag and pointing to `--help`.
 */
export function readFlags<const T extends ParseArgsOptionsConfig>(
  usage: string,
  options: T,
  config: { positionals?: boolean } = {},
): { values: FlagValues<T>; positionals: string[] } | number {
  const withHelp = { ...options, help: { type: "boolean", short: "h" } } as const;
  // --help wins over any other mistake on the line: it is what a lost user types.
  if (Deno.args.some((arg) => arg === "--help" || arg === "-h")) {
    console.log(usage);
    return 0;
  }
  try {
    const { values, positionals } = parseFlags(Deno.args, withHelp, config);
    return { values: values as FlagValues<T>, positionals };
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportUsageError(error.message, usage);
  }
}

/**
 * Reads an integer flag: undefined when absent, else an integer from `min` to `max`, or a
 * {@link FlagError} such as "--players must be an integer from 1 to 1000, got -1".
 */
export function readIntegerFlag(
  name: string,
  text: string | undefined,
  range: { min: number; max: number },
): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\s*-?\d{1,16}\s*$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(value) && value >= range.min && value <= range.max)) {
    throw new FlagError(
      `--${name} must be an integer from ${range.min} to ${range.max}, got ${
        /^-?\d+$/.test(text) ? text : JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/**
 * Reads `--scenario NAME|FILE`: undefined when absent, else a built-in scenario or a JSON scenario
 * file, or a {@link FlagError} in one line naming the file and the first bad field, such as
 * "--scenario duck.json: modes[1].share must be a number from 0 to 1000000000, got -1".
 */
export function readScenarioFlag(text: string | undefined): Scenario | undefined {
  if (text === undefined) return undefined;
  try {
    return loadScenario(text, Deno.readTextFileSync);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const more = error.totalProblems - 1;
    throw new FlagError(
      `--scenario ${error.problems[0]?.message ?? "is invalid"}${
        more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : ""
      }`,
    );
  }
}

/**
 * The base URL of a Loot Telemetry server from `--server` or `LOOT_SERVER`: scheme, host and port
 * only. A path (`http://host:5000/api`) is refused by name, since every endpoint path is added to it.
 */
export function readServerUrl(
  flag: string | undefined,
  env: string | undefined,
  fallback = "http://localhost:5000",
): string {
  const source = flag !== undefined ? "--server" : "LOOT_SERVER";
  const text = flag ?? env ?? fallback;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FlagError(
      `${source} must be a URL such as http://localhost:5000, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FlagError(
      `${source} must start with http:// or https://, got ${JSON.stringify(text)}`,
    );
  }
  if (url.pathname !== "/" || url.search || url.hash) {
    throw new FlagError(
      `${source} must be the server's base URL without a path, got ${JSON.stringify(text)}: drop ${
        JSON.stringify(`${url.pathname}${url.search}${url.hash}`)
      } (use ${url.origin})`,
    );
  }
  return url.origin;
}

/**
 * Columns of text aligned to their widest cell, whatever the length of an item name; `right` names
 * the columns aligned right (numbers), `rule` adds a line of dashes under the header.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { right?: readonly number[]; indent?: string; rule?: boolean } = {},
): string[] {
  const right = new Set(options.right ?? []);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    (options.indent ?? "") +
    cells.map((cell, column) =>
      right.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)
    ).join("  ").trimEnd();
  const rule = options.rule ? [line(widths.map((width) => "-".repeat(width)))] : [];
  return [line(header), ...rule, ...rows.map(line)];
}

/** Says whether writing `path` will replace a file, to be printed after writing it. */
export function noteOverwrite(path: string): () => string | undefined {
  const existed = path !== "-" && existsSync(path);
  return () => existed ? `Overwrote ${path} (previous file replaced)` : undefined;
}
