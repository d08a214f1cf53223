/**
 * Fixed-width histogram of finite values with "nice" bin edges, for margin distributions in the
 * report and the panel. Non-finite values are skipped (and counted separately).
 */
export interface Histogram {
  edges: number[];
  counts: number[];
  skipped: number;
}

function niceStep(span: number, bins: number): number {
  const raw = span / bins;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  const nice = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 2.5 ? 2.5 : scaled <= 5 ? 5 : 10;
  return nice * power;
}

export function histogram(values: ArrayLike<number>, bins = 30): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let skipped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      skipped++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { edges: [], counts: [], skipped };
  if (min === max) return { edges: [min - 0.5, min + 0.5], counts: [values.length - skipped], skipped };
  const step = niceStep(max - min, bins);
  const start = Math.floor(min / step) * step;
  const n = Math.max(1, Math.ceil((max - start) / step + 1e-9));
  const edges = Array.from({ length: n + 1 }, (_, k) => start + k * step);
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[Math.min(n - 1, Math.floor((v - start) / step))]!++;
  }
  return { edges, counts, skipped };
}
