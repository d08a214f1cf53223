/**
 * The x range of a distribution chart. A few extreme values (one pair with a margin of 16 among
 * margins of -1..2) would squeeze every other bar into a sliver, so when the full range is more
 * than OUTLIER_STRETCH times the range of the values inside Tukey's far-out fences (quartiles
 * -/+ 3 IQR, which work for 20 pairs as for a million), the chart shows that inner range and
 * counts the values beyond it in its end bars. A brush that reaches an end of such a chart reaches past it (OPEN_END), so a
 * filter drawn to the edge keeps the outliers it shows there.
 */
export const FENCE_IQRS = 3;
export const OUTLIER_STRETCH = 2;
/** An unbounded end of a range filter; finite so the panel state survives JSON. */
export const OPEN_END = Number.MAX_VALUE;

export interface Domain {
  lo: number;
  hi: number;
  /** Values below `lo` / above `hi` (counted in the first / last bar). */
  below: number;
  above: number;
  clipped: boolean;
}

/** `values` may hold NaN (unscored rows); null when nothing is finite. */
export function robustDomain(values: ArrayLike<number>, rows = values.length): Domain | null {
  const finite: number[] = [];
  for (let k = 0; k < rows; k++) if (Number.isFinite(values[k])) finite.push(values[k]!);
  if (finite.length === 0) return null;
  const sorted = Float64Array.from(finite).sort();
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  const quantile = (q: number): number => {
    const at = q * (sorted.length - 1);
    const i = Math.floor(at);
    return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * (at - i);
  };
  const q1 = quantile(0.25);
  const q3 = quantile(0.75);
  const fenceLo = q1 - FENCE_IQRS * (q3 - q1);
  const fenceHi = q3 + FENCE_IQRS * (q3 - q1);
  // the extent of the values inside the fences
  let qLo = max;
  let qHi = min;
  for (const v of sorted) {
    if (v >= fenceLo && v < qLo) qLo = v;
    if (v <= fenceHi && v > qHi) qHi = v;
  }
  if (!(qHi > qLo) || max - min <= OUTLIER_STRETCH * (qHi - qLo)) return { lo: min, hi: max, below: 0, above: 0, clipped: false };
  let below = 0;
  let above = 0;
  for (const v of sorted) {
    if (v < qLo) below++;
    else if (v > qHi) above++;
  }
  return { lo: qLo, hi: qHi, below, above, clipped: true };
}

/** "margin in [a, b]", or one-sided when an end is open. */
export function describeRange(name: string, [lo, hi]: readonly [number, number]): string {
  const openLo = lo <= -OPEN_END;
  const openHi = hi >= OPEN_END;
  if (openLo && openHi) return `${name}: any`;
  if (openLo) return `${name} ≤ ${hi.toFixed(2)}`;
  if (openHi) return `${name} ≥ ${lo.toFixed(2)}`;
  return `${name} in [${lo.toFixed(2)}, ${hi.toFixed(2)}]`;
}
