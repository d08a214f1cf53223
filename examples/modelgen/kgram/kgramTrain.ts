/**
 * Training the embedded demo models: maximum likelihood for the reference, then DPO (sigmoid
 * loss, beta 0.1, as TRL's default) for the policy, both with Adam in a fixed order.
 *
 * Regularisation of the policy: decoupled weight decay (AdamW, Loshchilov & Hutter 2019) pulls
 * the weights towards the reference's, not towards zero (the "L2-SP" prior of Li et al. 2018).
 * At Adam's fixed point the decay balances the normalised step m/sqrt(v), so every weight moves
 * at most about 1/weightDecay from the reference, and in proportion to how consistently the training
 * pairs push it (its gradient's signal-to-noise ratio over the last ~1/(lr * weightDecay) steps):
 * preferences shared by many pairs move the policy, the idiosyncrasies of single pairs hardly do.
 * The DPO loss itself is unchanged (no label smoothing, no conservative variant), so a pair whose
 * label goes against what the other pairs teach still gets a negative margin.
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

  constructor(params: KgramParams, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {
    this.m = zerosLike(params);
    this.v = zerosLike(params);
  }

  /**
   * One step of size `lr` on `grad * scale`. With `decay` > 0 the weights are also pulled towards
   * `anchor` (zero when absent) by lr * decay * (p - anchor), decoupled from the gradient (AdamW).
   */
  apply(params: KgramParams, grad: KgramParams, scale: number, lr: number, decay = 0, anchor?: KgramParams): void {
    this.step++;
    const c1 = 1 - this.b1 ** this.step;
    const c2 = 1 - this.b2 ** this.step;
    for (const key of KEYS) {
      const p = params[key];
      const g = grad[key];
      const m = this.m[key];
      const v = this.v[key];
      const a = anchor?.[key];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * scale;
        m[i] = this.b1 * m[i]! + (1 - this.b1) * gi;
        v[i] = this.b2 * v[i]! + (1 - this.b2) * gi * gi;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.eps);
        if (decay > 0) p[i]! -= lr * decay * (p[i]! - (a ? a[i]! : 0));
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

export interface TrainOptions {
  epochs: number;
  lr: number;
  batch: number;
  log?: (line: string) => void;
  /** Decoupled weight decay (AdamW, default 0); for DPO it pulls towards the reference's weights, not zero. */
  weightDecay?: number;
}

export function trainMle(params: KgramParams, sequences: readonly Sequence[], options: TrainOptions): KgramParams {
  const model = cloneParams(params);
  const adam = new Adam(model);
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
      adam.apply(model, grad, 1 / Math.max(1, count), options.lr, options.weightDecay ?? 0);
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

export interface DpoOptions extends TrainOptions {
  beta: number;
  /** Epochs (1-based) after which the policy is saved. */
  checkpoints: number[];
}

export function trainDpo(reference: KgramParams, pairs: readonly PairSequences[], options: DpoOptions): DpoCheckpoint[] {
  const refMargins = pairs.map((p) => sum(logProbs(reference, p.chosen.ids, p.chosen.from)) - sum(logProbs(reference, p.rejected.ids, p.rejected.from)));
  const indexed = pairs.map((pair, i) => ({ pair, ref: refMargins[i]! }));
  const model = cloneParams(reference);
  const adam = new Adam(model);
  // one pass per sequence: its log-prob gradient (weight 1) goes to a scratch buffer, and is added
  // with the pair's DPO weight once the pair's margin is known
  const gChosen = zerosLike(model);
  const gRejected = zerosLike(model);
  const saved: DpoCheckpoint[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    let loss = 0;
    let correct = 0;
    for (const batch of batches(indexed, options.batch, epoch)) {
      const grad = zerosLike(model);
      for (const { pair, ref } of batch) {
        for (const key of KEYS) {
          gChosen[key].fill(0);
          gRejected[key].fill(0);
        }
        const chosen = accumulateLogProbGrad(model, gChosen, pair.chosen.ids, pair.chosen.from, 1);
        const rejected = accumulateLogProbGrad(model, gRejected, pair.rejected.ids, pair.rejected.from, 1);
        const h = chosen - rejected - ref;
        loss += Math.log1p(Math.exp(-options.beta * h));
        if (h > 0) correct++;
        const c = options.beta * sigmoid(-options.beta * h);
        for (const key of KEYS) {
          const g = grad[key];
          const gc = gChosen[key];
          const gr = gRejected[key];
          for (let i = 0; i < g.length; i++) g[i]! += c * (gr[i]! - gc[i]!);
        }
      }
      adam.apply(model, grad, 1 / batch.length, options.lr, options.weightDecay ?? 0, reference);
    }
    options.log?.(`dpo epoch ${epoch + 1}: loss ${(loss / pairs.length).toFixed(4)}, train reward accuracy ${(correct / pairs.length).toFixed(3)}`);
    if (options.checkpoints.includes(epoch + 1)) saved.push({ epoch: epoch + 1, params: cloneParams(model) });
  }
  return saved;
}
