/**
 * The token-level explanation of one pair, shared by the engine protocol (engine -> host) and the
 * webview protocol (host -> panel): types and guards in one place so both sides agree.
 *
 * Per-token values travel as parallel arrays (columns), not one object per token: a 1,000-token
 * response is one small message, and the panel indexes the arrays directly.
 */
import { isArrayOf, isBoolean, isFiniteNumber, isIndex, isShape, isString, nullable, optional, type Guard } from './guards';

export interface TokenColumns {
  ids: number[];
  text: string[];
  /** [start, end) of each token in the side's `text`. */
  start: number[];
  end: number[];
  policyLogp: number[];
  refLogp: number[];
  /** beta x (policy - reference) log-prob of each token (METRICS 9). */
  reward: number[];
  /** The policy's rank of the actual token (0 = its most likely). */
  rank: number[];
  /** The policy's top alternatives at each position. */
  alternatives: { text: string; logp: number }[][];
}

export interface SegmentExplanation {
  start: number;
  end: number;
  reward: number;
  /** Tokens [firstToken, endToken) of the segment. */
  firstToken: number;
  endToken: number;
  text: string;
}

export interface SideExplanation {
  /** The completion as the model sees it (decoded completion tokens). */
  text: string;
  truncated: boolean;
  logps: number;
  refLogps: number;
  /** Implicit reward of the side: the sum of its token rewards and of its segment rewards. */
  reward: number;
  tokens: TokenColumns;
  segments: SegmentExplanation[];
}

export interface PairExplanation {
  index: number;
  id: string;
  beta: number;
  prompt: string;
  /** Null for a side that was not recomputed (an edit of the other side). */
  chosen: SideExplanation | null;
  rejected: SideExplanation | null;
  /** First completion token where chosen and rejected differ; -1 when identical. */
  firstDivergence: number;
  /** The editable text of each completion (its last assistant turn). */
  chosenEditable: string;
  rejectedEditable: string;
  /** Per side: the first completion token whose values were computed in this call (0: the whole
   *  side; n: tokens before n came from an earlier call), null when the side was not computed. */
  recomputedFrom?: { chosen: number | null; rejected: number | null };
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const isTokenColumns: Guard<TokenColumns> = (v: unknown): v is TokenColumns =>
  isShape<TokenColumns>({
    ids: isNumberArray,
    text: isStringArray,
    start: isNumberArray,
    end: isNumberArray,
    policyLogp: isNumberArray,
    refLogp: isNumberArray,
    reward: isNumberArray,
    rank: isNumberArray,
    alternatives: isArrayOf(isArrayOf(isShape<{ text: string; logp: number }>({ text: isString, logp: (x): x is number => typeof x === 'number' }))),
  })(v) && [v.text, v.start, v.end, v.policyLogp, v.refLogp, v.reward, v.rank, v.alternatives].every((column) => column.length === v.ids.length);

const isSegment = isShape<SegmentExplanation>({ start: isIndex, end: isIndex, reward: isFiniteNumber, firstToken: isIndex, endToken: isIndex, text: isString });

export const isSideExplanation: Guard<SideExplanation> = isShape<SideExplanation>({
  text: isString,
  truncated: isBoolean,
  logps: isFiniteNumber,
  refLogps: isFiniteNumber,
  reward: isFiniteNumber,
  tokens: isTokenColumns,
  segments: isArrayOf(isSegment),
});

export const isPairExplanation: Guard<PairExplanation> = isShape<PairExplanation>({
  index: isIndex,
  id: isString,
  beta: isFiniteNumber,
  prompt: isString,
  chosen: nullable(isSideExplanation),
  rejected: nullable(isSideExplanation),
  firstDivergence: (v): v is number => Number.isInteger(v) && (v as number) >= -1,
  chosenEditable: isString,
  rejectedEditable: isString,
  recomputedFrom: optional(isShape<{ chosen: number | null; rejected: number | null }>({ chosen: nullable(isIndex), rejected: nullable(isIndex) })),
});
