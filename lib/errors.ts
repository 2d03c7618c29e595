/** One thing wrong with an input, named by its field path (`looted_items.medkit`, `[3].player_id`). */
export interface Problem {
  /** Dotted path of the offending field; `""` for the value as a whole. */
  path: string;
  /** Sentence-case description that names the value. */
  message: string;
}

/**
 * Most problems an error lists: a batch can hold a million bad fields, and an answer naming them
 * all would cost the server (and the client) far more than the first hundred and a count.
 */
export const MAX_LISTED_PROBLEMS = 100;

/** Collects problems, keeping the first {@link MAX_LISTED_PROBLEMS} and counting them all. */
export class ProblemList {
  /** The first problems found, at most {@link MAX_LISTED_PROBLEMS}. */
  readonly listed: Problem[] = [];
  /** How many problems were found in all. */
  total = 0;

  /** Records a problem; past the listing limit only the count grows. */
  push(problem: Problem): void {
    this.total++;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }
}

/**
 * Input that does not satisfy the contract. Carries the problems found (the first
 * {@link MAX_LISTED_PROBLEMS}) and how many there were in all, not just the first.
 */
export class ValidationError extends Error {
  /** Always `"ValidationError"`, so the error can be told apart without `instanceof`. */
  override name = "ValidationError";
  /** The problems found, each with its field path; at most {@link MAX_LISTED_PROBLEMS}. */
  readonly problems: readonly Problem[];
  /** How many problems were found, listed or not. */
  readonly totalProblems: number;

  /** Builds the message from `options.summary` (default "Invalid input"), the first problem and the count. */
  constructor(
    problems: readonly Problem[] | ProblemList,
    options?: { summary?: string; cause?: unknown },
  ) {
    const listed = problems instanceof ProblemList
      ? problems.listed
      : problems.slice(0, MAX_LISTED_PROBLEMS);
    const total = problems instanceof ProblemList ? problems.total : problems.length;
    super(summarizeProblems(listed, total, options?.summary), { cause: options?.cause });
    this.problems = listed;
    this.totalProblems = total;
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

/** A request that is well formed but would answer more than a documented limit (mapped to 422). */
export class LimitExceededError extends Error {
  /** Always `"LimitExceededError"`. */
  override name = "LimitExceededError";
  /** The limit passed, in the unit the message names. */
  readonly limit: number;

  /** `message` names the limit and what to ask for instead. */
  constructor(message: string, limit: number) {
    super(message);
    this.limit = limit;
  }
}

/** A named thing (item, route) that does not exist. */
export class NotFoundError extends Error {
  /** Always `"NotFoundError"`; the server answers it with 404. */
  override name = "NotFoundError";
}

function summarizeProblems(
  problems: readonly Problem[],
  total: number,
  summary = "Invalid input",
): string {
  const [first] = problems;
  if (!first) return summary;
  const more = total - 1;
  return `${summary}: ${first.message}${
    more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : ""
  }`;
}
