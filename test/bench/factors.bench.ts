/**
 * Factor analysis at scale: factor scores for both responses of 100,000 pairs, the label and model
 * profiles (τ per factor) and the two Bradley–Terry fits, timed end to end, with each stage's share
 * in the figure so a regression points at its stage.
 */
import { compareProfiles, modelJudge, pairFactors, type FactorPair } from '../../native/metrics/factorInfluence';
import { fitFactorLogistic } from '../../native/metrics/logisticFit';
import type { BenchResult } from './types';

const WORDS = 'the answer is clear because water boils at one hundred degrees and I think it might depend on pressure sorry I cannot help with that here are three steps first second third'.split(' ');

export function benchFactors(n = 100_000): BenchResult[] {
  let seed = 11;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const text = (len: number): string => Array.from({ length: len }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ') + '.';
  const rows = Array.from({ length: n }, () => ({ prompt: text(12), chosen: text(20 + Math.floor(rand() * 60)), rejected: text(10 + Math.floor(rand() * 40)), margin: rand() - 0.3 }));
  const started = performance.now();
  const pairs: FactorPair[] = rows.map((r) => pairFactors(r.chosen, r.rejected, r.prompt));
  const scored = performance.now();
  const profile = compareProfiles(pairs, modelJudge(rows.map((r) => r.margin)));
  const profiled = performance.now();
  const names = profile.label.filter((f) => Number.isFinite(f.tau)).map((f) => f.factor);
  const diffs = pairs.map((p) => names.map((k) => (p.chosen[k] ?? Number.NaN) - (p.rejected[k] ?? Number.NaN)));
  fitFactorLogistic(names, diffs);
  fitFactorLogistic(names, diffs, rows.map((r) => r.margin > 0));
  const total = performance.now() - started;
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return [{
    figure: `factor analysis, ${n.toLocaleString('en-US')} pairs (factor scores, label and model profiles, two Bradley-Terry fits)`,
    value: `${s(total)} (factor scores ${s(scored - started)}, profiles ${s(profiled - scored)}, fits ${s(started + total - profiled)})`,
    baseline: '-',
    ratio: undefined,
    target: '< 5 s',
    pass: total < 5000,
  }];
}
