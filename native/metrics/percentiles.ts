/**
 * Percentile ranks and quantiles (METRICS.md 4.3 CHES-ln percentile per pair, 7.2 percentile of the
 * ensemble strength mu, 12 reporting over valid pairs).
 *
 * Design note: one convention for both directions, numpy's default ("linear", Hyndman–Fan type 7):
 *   quantile(sorted, q) interpolates linearly at position q (n - 1) of the ascending values;
 *   percentileRanks gives value number r (1-based rank among the n non-NaN values) the rank
 *   100 (r - 1) / (n - 1), so the smallest value has 0, the largest 100, and for distinct values
 *   quantile(sorted, rank / 100) returns the value itself. Tied values share the mean of their
 *   ranks (so ties never straddle a bucket cut). NaN stays NaN and is not counted in n; +-Infinity
 *   are ordinary ordered values. A single non-NaN value has rank 50 (the middle; (r - 1)/(n - 1) is 0/0).
 * Example: [10, 20, 20, 40] -> [0, 50, 50, 100]; quantile([1, 2, 3, 4], 0.5) = 2.5.
 * Products are formed before the division (100 (r - 1) / (n - 1)), so cut points such as 20 and 90
 * are hit exactly for integer ranks: with n = 11 the ranks are exactly 0, 10, ..., 100.
 */

/** Percentile rank 0..100 of every value among the non-NaN values; ties averaged; NaN stays NaN. */
export function percentileRanks(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) idx.push(i);
  const n = idx.length;
  if (n === 0) return out;
  if (n === 1) {
    out[idx[0]!] = 50;
    return out;
  }
  idx.sort((a, b) => values[a]! - values[b]! || a - b);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    // equal values (including equal infinities, whose difference is NaN) form one tie group
    while (end < n && values[idx[end]!]! === values[idx[start]!]!) end++;
    // 0-based ranks start..end-1, mean rank (start + end - 1) / 2
    const rank = (100 * ((start + end - 1) / 2)) / (n - 1);
    for (let k = start; k < end; k++) out[idx[k]!] = rank;
    start = end;
  }
  return out;
}

/**
 * Type-7 (numpy default) quantile of values already sorted ascending with no NaN; q in [0, 1].
 * Empty input gives NaN.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile level must be in [0, 1], got ${q}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const frac = pos - lo;
  return frac === 0 || a === b ? a : a + (b - a) * frac;
}

/** The non-NaN values, sorted ascending, as a fresh Float64Array (input for quantile; +-Infinity kept). */
export function sortedNonNaN(values: ArrayLike<number>): Float64Array {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) kept.push(values[i]!);
  return Float64Array.from(kept).sort();
}
