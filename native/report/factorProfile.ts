/**
 * The factor table and the label-vs-model profile of a scored dataset (METRICS 5 and 12, after
 * PROFILE): shared by `preflens report` and the panel's Factors view, so both say the same thing.
 *
 * Design note: the input is one item per scored pair (texts, token counts, dataset attributes
 * and the policy margin); the output is the per-factor Kendall τ for labels and model, the
 * Bradley-Terry fits with confidence intervals, plain sentences for the largest disagreements,
 * the length-bias correlations, and `differs(factor)`: the pairs where the factor's value differs
 * between chosen and rejected, i.e. where it can decide the label.
 */
import { FACTORS } from '../metrics/factors';
import { compareProfiles, lengthBias, modelJudge, pairFactors, type FactorPair } from '../metrics/factorInfluence';
import { fitFactorLogistic, type LogisticFit } from '../metrics/logisticFit';
import type { ReportCoefficient, ReportFactor, ReportProfile } from './reportData';

export interface FactorItem {
  prompt: string;
  chosen: string;
  rejected: string;
  chosenTokens: number;
  rejectedTokens: number;
  attributes: Record<string, unknown>;
  margin: number;
  ches?: number;
}

export interface FactorProfileResult {
  factors: ReportFactor[];
  profile?: ReportProfile;
  /** Per item: does the factor differ between chosen and rejected? */
  differs(factor: string): boolean[];
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function computeFactorProfile(items: readonly FactorItem[]): FactorProfileResult {
  const factorPairs: FactorPair[] = items.map((it) =>
    pairFactors(it.chosen, it.rejected, it.prompt, { chosen: it.chosenTokens, rejected: it.rejectedTokens }, it.attributes as Parameters<typeof pairFactors>[4]),
  );
  const profile = compareProfiles(factorPairs, modelJudge(items.map((it) => it.margin)));
  const modelBy = new Map(profile.model.map((f) => [f.factor, f]));
  const describe = new Map(FACTORS.map((f) => [f.name, f.description]));
  const factors: ReportFactor[] = profile.label
    .filter((f) => Number.isFinite(f.tau) && Number.isFinite(modelBy.get(f.factor)?.tau ?? Number.NaN))
    .map((f) => ({
      name: f.factor,
      description: describe.get(f.factor) ?? (f.factor.startsWith('attr:') ? `dataset column ${f.factor.slice(5)}` : f.factor),
      labelTau: f.tau,
      modelTau: modelBy.get(f.factor)!.tau,
      labelShare: f.preferLarger,
      modelShare: modelBy.get(f.factor)!.preferLarger,
    }));
  const names = factors.map((f) => f.name);
  const diffs = factorPairs.map((p) => names.map((n) => (p.chosen[n] ?? Number.NaN) - (p.rejected[n] ?? Number.NaN)));
  const coefficients = (fit: LogisticFit): ReportCoefficient[] =>
    fit.coefficients.map((c) => ({ factor: c.factor, coefficient: c.coefficient, low: c.ci95[0], high: c.ci95[1] })).filter((c) => [c.coefficient, c.low, c.high].every(Number.isFinite));
  const bias = lengthBias(items.map((it) => ({ chosenTokens: it.chosenTokens, rejectedTokens: it.rejectedTokens, margin: it.margin, ches: it.ches })));
  const top = new Set(profile.disagreements.slice(0, 5).map((d) => d.factor));
  const profileData: ReportProfile | undefined = names.length
    ? {
        spearman: finite(profile.spearman),
        kendall: finite(profile.kendall),
        sentences: profile.sentences.filter((_, i) => top.has(profile.label[i]?.factor ?? '')),
        labelFit: coefficients(fitFactorLogistic(names, diffs)),
        modelFit: coefficients(fitFactorLogistic(names, diffs, items.map((it) => it.margin > 0))),
        lengthBias: [
          { against: 'margin', pearson: finite(bias.margin.pearson), spearman: finite(bias.margin.spearman) },
          { against: 'reward correctness', pearson: finite(bias.correctness.pearson), spearman: finite(bias.correctness.spearman) },
          { against: 'CHES', pearson: finite(bias.ches.pearson), spearman: finite(bias.ches.spearman) },
        ],
      }
    : undefined;
  return {
    factors,
    profile: profileData,
    differs: (factor) => factorPairs.map((p) => {
      const a = p.chosen[factor];
      const b = p.rejected[factor];
      return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && a !== b;
    }),
  };
}
