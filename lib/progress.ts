import type { UploadProgress } from "./client.ts";

const INTEGER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Formats a whole number with thousands separators (`12,345`). */
export function formatCount(value: number): string {
  return INTEGER.format(value);
}

/** A text progress bar, `[########----------------]`, for a fraction from 0 to 1. */
export function formatProgressBar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/**
 * One-line upload progress, for terminals and notebooks alike; with a bar when the total is known.
 * The bar, the count and the percentage are sheets the server holds (stored now or already stored
 * as duplicates), so a run whose requests fail never fills the bar. `styleFailed` may highlight the
 * failure count (the CLI colours it red on a terminal).
 * @example
 * formatUploadProgress(progress); // "[############------------] Uploaded 1,000/2,000 sheets (50.0%) · 8,450 sheets/s · 0 duplicates · 0 failed"
 */
export function formatUploadProgress(
  progress: UploadProgress,
  options: { styleFailed?: (text: string) => string } = {},
): string {
  const stored = progress.inserted + progress.duplicates;
  const of = progress.total === undefined ? "" : `/${formatCount(progress.total)}`;
  const percent = progress.total ? ` (${((100 * stored) / progress.total).toFixed(1)}%)` : "";
  const bar = progress.total ? `${formatProgressBar(stored / progress.total)} ` : "";
  const failed = `${formatCount(progress.failed)} failed`;
  return `${bar}Uploaded ${formatCount(stored)}${of} sheets${percent} · ${
    formatCount(progress.sheetsPerSecond)
  } sheets/s · ${formatCount(progress.duplicates)} duplicates · ${
    progress.failed > 0 && options.styleFailed ? options.styleFailed(failed) : failed
  }`;
}
