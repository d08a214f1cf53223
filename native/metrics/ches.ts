/**
 * CHES and length-normalised CHES (Razin et al. 2024, Def. 2 and Def. 3; METRICS.md 4.1).
 *
 * Design note: P and N are the sums of the final hidden states (the lm_head input) at the
 * positions that predict the preferred and dispreferred completion tokens: from the last prompt
 * token through the second-to-last completion token, i.e. exactly the scored positions of the
 * TRL shift. The hidden state of the final completion token is not used.
 *   CHES = <P, N> - ||P||^2        CHES_ln = <P, N> / (|y+| |y-|) - ||P||^2 / |y+|^2
 * PrefLens computes it from the reference model (the model that will be trained).
 * Example: P = [1,1] (|y+| = 2), N = [2,2] (|y-| = 3) -> CHES 2, CHES_ln 0.166667.
 */
export interface Ches {
  ches: number;
  chesLn: number;
  /** <P, N> and ||P||^2, the two terms, for diagnostics. */
  pn: number;
  pp: number;
}

export function ches(P: ArrayLike<number>, N: ArrayLike<number>, chosenTokens: number, rejectedTokens: number): Ches {
  if (P.length !== N.length) throw new RangeError(`hidden sizes differ: ${P.length} vs ${N.length}`);
  let pn = 0;
  let pp = 0;
  for (let i = 0; i < P.length; i++) {
    pn += P[i]! * N[i]!;
    pp += P[i]! * P[i]!;
  }
  const chesLn = chosenTokens > 0 && rejectedTokens > 0 ? pn / (chosenTokens * rejectedTokens) - pp / (chosenTokens * chosenTokens) : Number.NaN;
  return { ches: pn - pp, chesLn, pn, pp };
}
