/**
 * What-if recomputation from cached values (beta, loss type, length normalisation) over 100,000
 * pairs: the columnar path (native/metrics/whatIf.ts) against a per-pair object baseline
 * (pairLoss on row objects), measured in the same run.
 */
import { LOSS_TYPES, pairLoss, type PairLogps } from '../../native/metrics/losses';
import { whatIf } from '../../native/metrics/whatIf';
import type { BenchResult } from './types';

export function benchWhatIf(): BenchResult[] {
  const n = 100_000;
  let seed = 3;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const cols = {
    chosen: new Float64Array(n), rejected: new Float64Array(n), refChosen: new Float64Array(n), refRejected: new Float64Array(n),
    chosenTokens: new Int32Array(n), rejectedTokens: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    cols.chosenTokens[i] = 20 + Math.floor(rand() * 300);
    cols.rejectedTokens[i] = 20 + Math.floor(rand() * 300);
    cols.chosen[i] = -cols.chosenTokens[i]! * (1 + rand());
    cols.rejected[i] = -cols.rejectedTokens[i]! * (1 + rand());
    cols.refChosen[i] = cols.chosen[i]! + (rand() - 0.5) * 20;
    cols.refRejected[i] = cols.rejected[i]! + (rand() - 0.5) * 20;
  }
  const rows: PairLogps[] = Array.from({ length: n }, (_, i) => ({ chosen: cols.chosen[i]!, rejected: cols.rejected[i]!, refChosen: cols.refChosen[i]!, refRejected: cols.refRejected[i]!, chosenTokens: cols.chosenTokens[i]!, rejectedTokens: cols.rejectedTokens[i]! }));
  const time = (fn: () => void): number => {
    fn();
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  let worst = 0;
  let worstType = '';
  for (const lossType of LOSS_TYPES) {
    const ms = time(() => whatIf(cols, { lossType, beta: 0.2, labelSmoothing: 0.1 }));
    if (ms > worst) [worst, worstType] = [ms, lossType];
  }
  const baseline = time(() => {
    for (const r of rows) pairLoss(r, 'sigmoid', { beta: 0.2 });
  });
  const columnar = time(() => whatIf(cols, { lossType: 'sigmoid', beta: 0.2 }));
  return [{
    figure: `what-if recomputation, 100,000 pairs (rewards, margins, losses, aggregates)`,
    value: `${columnar.toFixed(1)} ms sigmoid; slowest loss type ${worstType} ${worst.toFixed(1)} ms`,
    baseline: `pairLoss over row objects, loss only: ${baseline.toFixed(1)} ms`,
    ratio: undefined,
    target: '< 1000 ms',
    pass: worst < 1000,
  }];
}
