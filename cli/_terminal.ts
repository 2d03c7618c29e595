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
