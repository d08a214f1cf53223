/**
 * Token-level implicit rewards (METRICS.md section 9, M9; test vectors section 13).
 *
 * Design note:
 *   r_t = beta * (l_t^policy - l_t^ref),  t = 1..T   (token t is the token being predicted, same shift and
 *                                                    masking as section 1.2; only scored completion tokens)
 *   q_t = sum_{i<=t} r_i                             (implicit Q-value of the prefix y_<=t; q_T = response reward)
 * Sums are plain left-to-right float64 folds starting at 0, exactly as `sum()` in `rewards.ts`, so
 * `cumulativeRewards(r)[T-1] === sum(r)`. That value can differ in the last bits from
 * `implicitRewards()` (which computes beta * (S_policy - S_ref)); both are the response reward.
 * Rewards are tokenizer-dependent and carry a per-prompt offset (V*(s_0), METRICS 9 and 14.13): compare
 * them only within one prompt. Non-finite log-probs propagate as NaN/Infinity; nothing is clamped.
 * Example (METRICS 1.5, beta 0.1): y_w -> [-0.02, 0.04, 0.02, 0.01], q = [-0.02, 0.02, 0.04, 0.05];
 * y_l -> [-0.03, -0.04].
 *
 * Pure: no I/O, no ONNX Runtime.
 */

/** Per-token implicit DPO rewards r_t = beta * (policy_t - ref_t), in float64. */
export function tokenRewards(policyLogps: ArrayLike<number>, refLogps: ArrayLike<number>, beta: number): Float64Array {
  if (policyLogps.length !== refLogps.length) {
    throw new RangeError(`tokenRewards: ${policyLogps.length} policy log-probs but ${refLogps.length} reference log-probs`);
  }
  const out = new Float64Array(policyLogps.length);
  for (let t = 0; t < out.length; t++) out[t] = beta * (policyLogps[t]! - refLogps[t]!);
  return out;
}

/** Running sums q_t = r_1 + ... + r_t (left fold from 0); the last entry is the response reward. */
export function cumulativeRewards(rewards: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rewards.length);
  let acc = 0;
  for (let t = 0; t < out.length; t++) {
    acc += rewards[t]!;
    out[t] = acc;
  }
  return out;
}

/**
 * Index of the first completion token where the chosen and rejected token ids differ; the shorter
 * length when one is a prefix of the other; -1 when the two are identical (METRICS 12 flags those).
 */
export function firstDivergence(chosenIds: ArrayLike<number>, rejectedIds: ArrayLike<number>): number {
  const n = Math.min(chosenIds.length, rejectedIds.length);
  for (let i = 0; i < n; i++) if (chosenIds[i] !== rejectedIds[i]) return i;
  return chosenIds.length === rejectedIds.length ? -1 : n;
}
