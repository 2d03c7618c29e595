import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

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

/** Prints `message` and the usage text to stderr, for a bad flag; returns the exit code 2. */
export function reportUsageError(message: string, usage: string): number {
  console.error(`${message}\n\n${usage}`);
  return 2;
}

type FlagValues<T extends ParseArgsOptionsConfig> = {
  [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * Parses `Deno.args` strictly against `options` (plus `--help`/`-h`). Returns the flags, or the exit
 * code when there is nothing more to do: 0 after printing the usage for `--help`, 2 after naming a
 * bad flag above the usage.
 */
export function readFlags<const T extends ParseArgsOptionsConfig>(
  usage: string,
  options: T,
  config: { positionals?: boolean } = {},
): { values: FlagValues<T>; positionals: string[] } | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: config.positionals ?? false,
    });
  } catch (error) {
    return reportUsageError((error as Error).message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return { values: parsed.values as FlagValues<T>, positionals: parsed.positionals };
}
