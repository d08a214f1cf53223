/**
 * Training the embedded demo models: maximum likelihood for the reference, then DPO (sigmoid
 * loss, beta 0.1, as TRL's default) for the policy, both with Adam in a fixed order.
 *
 * DPO gradient (Rafailov et al. 2023): with h = [log pi(y_w) - log pi(y_l)] - [log ref(y_w) -
 * log ref(y_l)], L = -log sigmoid(beta h) and dL/dtheta = -beta sigmoid(-beta h) (grad log pi(y_w)
 * - grad log pi(y_l)), so each pair adds its two sequences' log-prob gradients with weights
 * -c and +c, c = beta sigmoid(-beta h).
 */
import { accumulateLogProbGrad, cloneParams, logProbs, zerosLike, type KgramParams } from './kgramModel';

export interface Sequence {
  ids: number[];
  /** First position that predicts a completion token (len(prompt_ids) - 1). */
  from: number;
}

export interface PairSequences {
  chosen: Sequence;
  rejected: Sequence;
}

const KEYS = ['E', 'W1', 'b1', 'Wout', 'bout'] as const;

class Adam {
  private readonly m: KgramParams;
  private readonly v: KgramParams;
  private step = 0;

  constructor(params: KgramParams, private readonly lr: number, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {
    this.m = zerosLike(params);
    this.v = zerosLike(params);
  }

  apply(params: KgramParams, grad: KgramParams, scale: number): void {
    this.step++;
    const c1 = 1 - this.b1 ** this.step;
    const c2 = 1 - this.b2 ** this.step;
    for (const key of KEYS) {
      const p = params[key];
      const g = grad[key];
      const m = this.m[key];
      const v = this.v[key];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * scale;
        m[i] = this.b1 * m[i]! + (1 - this.b1) * gi;
        v[i] = this.b2 * v[i]! + (1 - this.b2) * gi * gi;
        p[i]! -= (this.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.eps);
      }
    }
  }
}

function batches<T>(items: readonly T[], size: number, epoch: number): T[][] {
  // a fixed, epoch-dependent rotation instead of a random shuffle keeps training deterministic
  const offset = (epoch * 7919) % Math.max(1, items.length);
  const rotated = [...items.slice(offset), ...items.slice(0, offset)];
  const out: T[][] = [];
  for (let i = 0; i < rotated.length; i += size) out.push(rotated.slice(i, i + size));
  return out;
}

export function trainMle(params: KgramParams, sequences: readonly Sequence[], options: { epochs: number; lr: number; batch: number; log?: (line: string) => void }): KgramParams {
  const model = cloneParams(params);
  const adam = new Adam(model, options.lr);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    let nll = 0;
    let tokens = 0;
    for (const batch of batches(sequences, options.batch, epoch)) {
      const grad = zerosLike(model);
      let count = 0;
      for (const s of batch) {
        nll -= accumulateLogProbGrad(model, grad, s.ids, s.from, -1);
        count += s.ids.length - 1 - s.from;
      }
      tokens += count;
      adam.apply(model, grad, 1 / Math.max(1, count));
    }
    options.log?.(`mle epoch ${epoch + 1}: nll/token ${(nll / tokens).toFixed(3)}`);
  }
  return model;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export interface DpoCheckpoint {
  epoch: number;
  params: KgramParams;
}

export function trainDpo(
  reference: KgramParams,
  pairs: readonly PairSequences[],
  options: { epochs: number; lr: number; batch: number; beta: number; checkpoints: number[]; log?: (line: string) => void },
): DpoCheckpoint[] {
  const refMargins = pairs.map((p) => sum(logProbs(reference, p.chosen.ids, p.chosen.from)) - sum(logProbs(reference, p.rejected.ids, p.rejected.from)));
  const indexed = pairs.map((pair, i) => ({ pair, ref: refMargins[i]! }));
  const model = cloneParams(reference);
  const adam = new Adam(model, options.lr);
  const saved: DpoCheckpoint[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    let loss = 0;
    let correct = 0;
    for (const batch of batches(indexed, options.batch, epoch)) {
      const grad = zerosLike(model);
      for (const { pair, ref } of batch) {
        const policyMargin = sum(logProbs(model, pair.chosen.ids, pair.chosen.from)) - sum(logProbs(model, pair.rejected.ids, pair.rejected.from));
        const h = policyMargin - ref;
        loss += Math.log1p(Math.exp(-options.beta * h));
        if (h > 0) correct++;
        const c = options.beta * sigmoid(-options.beta * h);
        accumulateLogProbGrad(model, grad, pair.chosen.ids, pair.chosen.from, -c);
        accumulateLogProbGrad(model, grad, pair.rejected.ids, pair.rejected.from, c);
      }
      adam.apply(model, grad, 1 / batch.length);
    }
    options.log?.(`dpo epoch ${epoch + 1}: loss ${(loss / pairs.length).toFixed(4)}, train reward accuracy ${(correct / pairs.length).toFixed(3)}`);
    if (options.checkpoints.includes(epoch + 1)) saved.push({ epoch: epoch + 1, params: cloneParams(model) });
  }
  return saved;
}
