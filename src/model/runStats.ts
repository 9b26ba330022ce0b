/**
 * Several runs of one variant (Measure Cache Impact runs each N times; Compare Runs takes groups):
 * per metric the median, the spread, and whether the difference between two groups is larger
 * than the runs' own spread. Spread is the range, min–max: with the handful of runs a person
 * waits for (3 by default) an interquartile range is not defined better than that, and the
 * range is what the runs themselves showed.
 */

/** The runs of one group for one metric. */
export interface Spread {
  /** How many runs. */
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The median of numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Median and range of one metric over a group's runs; undefined when any run did not report it
 * (no median mixes runs that did and did not), or there are no runs.
 */
export function spreadOf(values: readonly (number | undefined)[]): Spread | undefined {
  if (values.length === 0 || values.some((v) => v === undefined || !Number.isFinite(v))) return undefined;
  const xs = values as number[];
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * B against A:
 * - `noise` (within noise): with two or more runs on a side, the difference of the medians is
 *   no larger than the wider of the two ranges: the runs disagree among themselves by as much;
 * - `same`: no difference, or with one run a side, within `sameWithinPercent` % (two runs of
 *   one job never take exactly the same time);
 * - else `better` / `worse` by the metric's direction, `neutral` for a metric without one.
 */
export type GroupVerdict = 'better' | 'worse' | 'same' | 'neutral' | 'noise';

export function groupVerdict(a: Spread, b: Spread, lowerIsBetter: boolean, sameWithinPercent = 1): GroupVerdict {
  const diff = b.median - a.median;
  if (diff === 0) return 'same';
  if (a.n > 1 || b.n > 1) {
    const noise = Math.max(a.max - a.min, b.max - b.min);
    if (Math.abs(diff) <= noise) return 'noise';
  } else if (a.median !== 0 && Math.abs((diff * 100) / a.median) <= sameWithinPercent) {
    return 'same';
  }
  return !lowerIsBetter ? 'neutral' : diff < 0 ? 'better' : 'worse';
}
