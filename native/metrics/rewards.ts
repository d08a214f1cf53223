/**
 * DPO implicit rewards and margin (METRICS.md sections 1.3, 2.1, 2.2; TRL `DPOTrainer._compute_loss`).
 *
 * Design note: rewards use *summed* completion log-probs, as TRL does:
 *   rho(y) = S_policy(y) - S_ref(y),   r(y) = beta * rho(y),   margin = r(y_w) - r(y_l).
 * Rewards carry a per-prompt offset (beta log Z(x)) and are comparable only within a prompt.
 * Example (METRICS 1.5): S = (-4.0, -4.5) chosen, (-2.5, -1.8) rejected, beta 0.1
 *   -> chosen reward 0.05, rejected -0.07, margin 0.12.
 */
export interface SummedLogps {
  chosen: number;
  rejected: number;
  refChosen: number;
  refRejected: number;
}

export interface ImplicitRewards {
  chosenReward: number;
  rejectedReward: number;
  margin: number;
}

export function implicitRewards(s: SummedLogps, beta: number): ImplicitRewards {
  const chosenReward = beta * (s.chosen - s.refChosen);
  const rejectedReward = beta * (s.rejected - s.refRejected);
  return { chosenReward, rejectedReward, margin: chosenReward - rejectedReward };
}

/** Sum in float64 (per-token values arrive as float32). */
export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}
