/**
 * Statistics for experiments and anomaly rules. Distributions (Student's t, chi-square) come from
 * `jstat`, a maintained library; this module only combines them into the tests the API answers
 * (Welch's two-sample t-test, Pearson's chi-square goodness of fit) and robust summaries.
 * @module
 */
import jstat from "jstat";

/** The part of jstat's surface used here, typed (the package ships no types). */
interface Distributions {
  studentt: {
    cdf(x: number, dof: number): number;
    pdf(x: number, dof: number): number;
    inv(p: number, dof: number): number;
  };
  chisquare: { cdf(x: number, dof: number): number };
}

const DIST = jstat as unknown as Distributions;

/** The t distribution's cumulative probability P(T ≤ x) with `dof` degrees of freedom. */
export function studentTCdf(x: number, dof: number): number {
  return DIST.studentt.cdf(x, dof);
}

/**
 * The t distribution's quantile: x with P(T ≤ x) = p. jstat's inverse is polished with Newton
 * steps on jstat's own cdf and pdf, so it agrees with published tables to about 1e-10.
 * @example
 * studentTQuantile(0.975, 10); // 2.2281388519…
 */
export function studentTQuantile(p: number, dof: number): number {
  let x = DIST.studentt.inv(p, dof);
  for (let step = 0; step < 3; step++) {
    const density = DIST.studentt.pdf(x, dof);
    if (!(density > 0)) break;
    const next = x - (DIST.studentt.cdf(x, dof) - p) / density;
    if (!Number.isFinite(next)) break;
    x = next;
  }
  return x;
}

/** The chi-square survival function P(X ≥ x) with `dof` degrees of freedom. */
export function chiSquareSurvival(x: number, dof: number): number {
  return Math.max(0, 1 - DIST.chisquare.cdf(x, dof));
}

/** Count, mean and sample variance (n − 1) of a list: the summary Welch's test takes. */
export interface SampleSummary {
  /** Number of observations. */
  n: number;
  /** Arithmetic mean (NaN when empty). */
  mean: number;
  /** Sample variance with n − 1 in the denominator (NaN below two observations). */
  variance: number;
}

/** Summarises a sample in two passes (mean, then squared deviations), for accuracy. */
export function summarizeSample(values: readonly number[]): SampleSummary {
  const n = values.length;
  let sum = 0;
  for (const value of values) sum += value;
  const mean = n > 0 ? sum / n : NaN;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { n, mean, variance: n > 1 ? squares / (n - 1) : NaN };
}

/** The outcome of {@link welchTest}. */
export interface WelchResult {
  /** mean(b) − mean(a). */
  diff: number;
  /** Standard error of the difference, sqrt(va/na + vb/nb). */
  se: number;
  /** The t statistic, diff / se. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  dof: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Lower end of the (1 − alpha) confidence interval of diff. */
  ciLow: number;
  /** Upper end of the (1 − alpha) confidence interval of diff. */
  ciHigh: number;
}

/**
 * Welch's two-sample t-test of b against a, two-sided, with the confidence interval
 * `diff ± t(1 − alpha/2, ν) · SE` and Welch–Satterthwaite ν. Each sample needs n ≥ 2.
 * @example
 * welchTest(summarizeSample(control), summarizeSample(treatment), 0.05).pValue;
 */
export function welchTest(a: SampleSummary, b: SampleSummary, alpha: number): WelchResult {
  const qa = a.variance / a.n;
  const qb = b.variance / b.n;
  const diff = b.mean - a.mean;
  const se = Math.sqrt(qa + qb);
  const dof = (qa + qb) ** 2 / (qa ** 2 / (a.n - 1) + qb ** 2 / (b.n - 1));
  if (se === 0) {
    // Both samples constant: the difference is known exactly.
    return {
      diff,
      se,
      t: diff === 0 ? 0 : Infinity,
      dof: NaN,
      pValue: diff === 0 ? 1 : 0,
      ciLow: diff,
      ciHigh: diff,
    };
  }
  const t = diff / se;
  const pValue = Math.min(1, 2 * studentTCdf(-Math.abs(t), dof));
  const half = studentTQuantile(1 - alpha / 2, dof) * se;
  return { diff, se, t, dof, pValue, ciLow: diff - half, ciHigh: diff + half };
}

/** The outcome of {@link chiSquareGoodnessOfFit}. */
export interface ChiSquareResult {
  /** Pearson's statistic, Σ (observed − expected)² / expected. */
  chi2: number;
  /** Degrees of freedom, categories − 1. */
  dof: number;
  /** P(X ≥ chi2). */
  pValue: number;
  /** Expected counts: total × share (shares normalised). */
  expected: number[];
}

/** Pearson's chi-square goodness of fit of `observed` counts against `shares` (normalised). */
export function chiSquareGoodnessOfFit(
  observed: readonly number[],
  shares: readonly number[],
): ChiSquareResult {
  const total = observed.reduce((sum, count) => sum + count, 0);
  const shareSum = shares.reduce((sum, share) => sum + share, 0);
  const expected = shares.map((share) => total * share / shareSum);
  let chi2 = 0;
  observed.forEach((count, index) => {
    const want = expected[index]!;
    chi2 += (count - want) ** 2 / want;
  });
  const dof = observed.length - 1;
  return { chi2, dof, pValue: chiSquareSurvival(chi2, dof), expected };
}

/** The median of a list (the mean of the two middle values when even); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  const low = sorted[Math.floor(middle)]!;
  const high = sorted[Math.ceil(middle)]!;
  return low === high ? low : (low + high) / 2;
}

/** Median and median absolute deviation (unscaled) of a list. */
export function medianAbsoluteDeviation(
  values: readonly number[],
): { median: number; mad: number } {
  const center = median(values);
  return { median: center, mad: median(values.map((value) => Math.abs(value - center))) };
}
