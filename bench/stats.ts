/** The middle of a set of measurements and how far apart they fell. */
export interface Spread {
  /** The median (the mean of the two middle values for an even count). */
  median: number;
  /** The lowest measurement. */
  min: number;
  /** The highest measurement. */
  max: number;
}

/** Median, min and max of `values`; throws on an empty list, which is always a harness bug. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("spread() needs at least one value");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The value at `fraction` (0..1) of the sorted list, nearest-rank. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new Error("percentile() needs at least one value");
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank];
}

/** Whether two spreads overlap, i.e. the difference between them is inside the run-to-run noise. */
export function overlaps(a: Spread, b: Spread): boolean {
  return a.min <= b.max && b.min <= a.max;
}
