/** One thing wrong with an input, named by its field path (`looted_items.medkit`, `[3].player_id`). */
export interface Problem {
  /** Dotted path of the offending field; `""` for the value as a whole. */
  path: string;
  /** Sentence-case description that names the value. */
  message: string;
}

/** Input that does not satisfy the stat-sheet contract; carries every problem found, not just the first. */
export class ValidationError extends Error {
  /** Always `"ValidationError"`, so the error can be told apart without `instanceof`. */
  override name = "ValidationError";
  /** Every problem found, each with its field path. */
  readonly problems: readonly Problem[];

  /** Builds the message from `options.summary` (default "Invalid input") and the first problem. */
  constructor(problems: readonly Problem[], options?: { summary?: string; cause?: unknown }) {
    super(summarizeProblems(problems, options?.summary), { cause: options?.cause });
    this.problems = problems;
  }
}

/** A stat sheet whose (match_id, player_id) is already stored with different content. */
export class ConflictError extends Error {
  /** Always `"ConflictError"`; the server answers it with 409. */
  override name = "ConflictError";
  /** Id of the sheet already stored under that key. */
  readonly existingId: number;
  /** Index of the offending sheet in its batch (0 for a single submission). */
  readonly index: number;

  /** Takes the id already stored under the key and the offending sheet's index in its batch. */
  constructor(message: string, details: { existingId: number; index: number }) {
    super(message);
    this.existingId = details.existingId;
    this.index = details.index;
  }
}

/** A named thing (item, route) that does not exist. */
export class NotFoundError extends Error {
  /** Always `"NotFoundError"`; the server answers it with 404. */
  override name = "NotFoundError";
}

function summarizeProblems(problems: readonly Problem[], summary = "Invalid input"): string {
  const [first] = problems;
  if (!first) return summary;
  const more = problems.length - 1;
  return `${summary}: ${first.message}${
    more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : ""
  }`;
}
