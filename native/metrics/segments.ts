/**
 * Sentence / sub-sentence segments and segment-level implicit rewards (METRICS.md 6.2, 6.4 with 9; M6, M9).
 *
 * Design note.
 * - Spans are [start, end) UTF-16 offsets into the text given; leading/trailing whitespace belongs to no span.
 * - Sentences (6.2 uses spaCy `en_core_web_sm`; this is a rule-based stand-in, no model, no I/O):
 *   a line break always ends a segment; a run of . ! ? … (and ‼ ⁇ ⁈ ⁉ ؟ । ॥) plus closing quotes/brackets
 *   ends one when followed by whitespace or the end, unless the next word starts lower-case, or the period
 *   follows an abbreviation (Mr., e.g., vs., …), an initial (J.), a list number opening the segment or
 *   after a colon (1.), or a number-taking abbreviation before a digit (Fig. 3, No. 5); `etc.`, `U.S.`-style
 *   words end a sentence only before an upper-case word. Decimals, URLs and e-mails never split because
 *   their inner dots are not followed by whitespace. CJK 。！？｡ split even without whitespace. Emoji right
 *   after a sentence end stay with that sentence ("Thanks! 🎉").
 * - Sub-sentences: the FineGrainedRLHF rule, ported literally from `get_sub_sentence_starts`
 *   (`fgrlhf/reward_utils.py`, commit a1469d4; see `subSentenceStarts`), applied to whitespace words of
 *   each sentence. Only ASCII , ; ! ? end a clause, as in the reference.
 * - Segment rewards (6.4): R_seg(j) = sum of r_t over the tokens of segment j. A token belongs to the
 *   segment containing its start; a token starting in whitespace between segments goes to the next one,
 *   before the first to the first, after the last (e.g. `<|im_end|>`) to the last. Assignment is made
 *   monotone (a token never goes to an earlier segment than the token before it), so each segment owns a
 *   contiguous token range and every token is counted exactly once.
 * - Exactness: `reward` is the left fold of the segment's token rewards in token order, and `cumulative`
 *   is the left fold of ALL token rewards up to the segment's last token, so the last segment's
 *   `cumulative` === cumulativeRewards(r)[T-1] === sum(r) bit for bit. Adding the `reward`s of the segments
 *   equals the response reward mathematically, but float addition is not associative: that sum can
 *   differ in the last bits (e.g. 0.1 + (0.2 + 0.3) !== (0.1 + 0.2) + 0.3), and no choice of segment
 *   values can make it bit-exact for every input. Use `cumulative` where bit equality matters.
 */

export type Span = [number, number];
export type SpanLike = readonly [number, number];

export interface SegmentReward {
  /** The segment's character span, as given (or [completionStart, completionStart] when none was given). */
  span: Span;
  /** Sum of the rewards of this segment's tokens, in token order. 0 when it owns no token. */
  reward: number;
  /** Token index range [first, end) owned by the segment (empty when first === end). */
  tokens: [number, number];
  /** Running sum of all token rewards through this segment's last token (q at the segment end). */
  cumulative: number;
}

const TERMINATORS = new Set(['.', '!', '?', '…', '‼', '⁇', '⁈', '⁉', '؟', '।', '॥']);
const CJK_TERMINATORS = new Set(['。', '！', '？', '｡']);
const CLOSERS = new Set(['"', "'", '”', '’', '»', '›', ')', ']', '}', '」', '』', '）', '】', '〕', '〉', '》', '〗', '］', '｝']);
const OPENERS = /^[\p{Ps}\p{Pi}"'`¿¡*_]+/u;
const NEWLINE = /[\n\r\u2028\u2029]/;
const SPACE = /\s/;
const EMOJI_WORD = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u200d|\ufe0f|\u20e3)+$/u;

/** Words whose period never ends a sentence (lower-cased, with the period). */
const NEVER_FINAL = new Set(
  ('mr. mrs. ms. mx. dr. prof. st. mt. ft. vs. e.g. i.e. cf. viz. approx. ca. gen. col. capt. lt. sgt. ' +
    'rev. hon. sen. rep. gov. messrs. mme. mlle. esp. incl. resp. w.r.t. et. al.').split(' '),
);
/** Words whose period does not end a sentence when a digit follows ("Fig. 3", "No. 5", "Jan. 2"). */
const BEFORE_NUMBER = new Set(
  ('no. nos. fig. figs. eq. eqs. vol. vols. p. pp. ch. sec. art. ref. refs. tab. ex. op. ' +
    'jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec.').split(' '),
);
/** Words that may end a sentence: split only when an upper-case word follows ("etc. The"). */
const MAYBE_FINAL = new Set('etc. jr. sr. inc. ltd. co. corp. bros. ave. blvd. rd. ph.d. a.m. p.m. u.s. u.k. u.n. e.u.'.split(' '));

/** First character after the whitespace (and opening quotes/brackets) that follows index j, or ''. */
function nextWordStart(text: string, j: number, to: number): string {
  let k = j;
  while (k < to && SPACE.test(text[k]!)) k++;
  const rest = text.slice(k, Math.min(to, k + 8)).replace(OPENERS, '');
  return rest.length > 0 ? String.fromCodePoint(rest.codePointAt(0)!) : '';
}

/** Should the run of sentence-ending punctuation text[i..runEnd), followed by whitespace or `to`, end a sentence? */
function endsSentence(text: string, segStart: number, i: number, runEnd: number, to: number): boolean {
  const next = nextWordStart(text, runEnd, to);
  const upper = /^\p{Lu}$/u.test(next);
  if (/^\p{Ll}$/u.test(next)) return false;
  if (text[i] !== '.' || runEnd - i !== 1) return true;
  let w = i;
  while (w > segStart && !SPACE.test(text[w - 1]!)) w--;
  const word = text.slice(w, i).replace(OPENERS, '');
  const key = `${word.toLowerCase()}.`;
  if (NEVER_FINAL.has(key)) return false;
  if (BEFORE_NUMBER.has(key) && /^\d$/.test(next)) return false;
  if (MAYBE_FINAL.has(key) || /^(?:\p{L}\.)+\p{L}$/u.test(word)) return upper || next === '';
  if (/^\p{L}$/u.test(word)) return false; // initial ("J. Smith") or list letter ("a. first")
  const before = text.slice(segStart, w).trim();
  if (/^(?:\d{1,3}|[ivx]{1,4})$/i.test(word) && (before === '' || before.endsWith(':'))) return false; // "1. item"
  return true;
}

/** Index after the punctuation run at i (more terminators, then closing quotes/brackets). */
function runEndAt(text: string, i: number, to: number): number {
  let j = i + 1;
  while (j < to && (TERMINATORS.has(text[j]!) || CJK_TERMINATORS.has(text[j]!))) j++;
  while (j < to && CLOSERS.has(text[j]!)) j++;
  return j;
}

/** Extend a sentence end over emoji-only words that follow it on the same line ("Done! 🎉"). */
function absorbEmoji(text: string, j: number, to: number): number {
  let end = j;
  for (;;) {
    let k = end;
    while (k < to && SPACE.test(text[k]!) && !NEWLINE.test(text[k]!)) k++;
    let e = k;
    while (e < to && !SPACE.test(text[e]!)) e++;
    if (e === k || !EMOJI_WORD.test(text.slice(k, e))) return end;
    end = e;
  }
}

/** Sentence spans of text[from, to), in text offsets. */
export function splitSentences(text: string, from = 0, to: number = text.length): Span[] {
  const spans: Span[] = [];
  const push = (a: number, b: number): void => {
    while (a < b && SPACE.test(text[a]!)) a++;
    while (b > a && SPACE.test(text[b - 1]!)) b--;
    if (b > a) spans.push([a, b]);
  };
  to = Math.min(to, text.length);
  let segStart = Math.max(0, from);
  let i = segStart;
  while (i < to) {
    const c = text[i]!;
    if (NEWLINE.test(c)) {
      push(segStart, i);
      segStart = ++i;
    } else if (CJK_TERMINATORS.has(c) || TERMINATORS.has(c)) {
      const j = runEndAt(text, i, to);
      const cjk = [...text.slice(i, j)].some((ch) => CJK_TERMINATORS.has(ch));
      if (cjk || ((j === to || SPACE.test(text[j]!)) && endsSentence(text, segStart, i, j, to))) {
        const end = absorbEmoji(text, j, to);
        push(segStart, end);
        segStart = end;
        i = end;
      } else {
        i = j;
      }
    } else {
      i++;
    }
  }
  push(segStart, to);
  return spans;
}

/**
 * FineGrainedRLHF `get_sub_sentence_starts`, ported literally: `starts[k]` says whether word k begins a
 * sub-sentence. A split before word k needs word k-1 to end in , ; ! or ? and k + minWords < words.length
 * (more than minWords words from k on). If the sub-sentence before it would have fewer than minWords
 * words, the split is dropped when that sub-sentence is the first one; otherwise its own start is removed
 * (it merges into the one before) and the new split is kept.
 */
export function subSentenceStarts(words: readonly string[], minWords = 5): boolean[] {
  if (words.length === 0) return [];
  const starts = [true];
  let prevStart = 0;
  for (let k = 1; k < words.length; k++) {
    const prev = words[k - 1]!;
    if (/[,;!?]/.test(prev[prev.length - 1] ?? '') && k + minWords < words.length) {
      if (k - prevStart < minWords) {
        if (prevStart > 0) {
          starts.push(true);
          starts[prevStart] = false;
          prevStart = k;
        } else {
          starts.push(false);
        }
      } else {
        starts.push(true);
        prevStart = k;
      }
    } else {
      starts.push(false);
    }
  }
  return starts;
}

/** Sub-sentence spans of text[from, to): each sentence split at the starts `subSentenceStarts` gives. */
export function splitSubSentences(text: string, from = 0, to: number = text.length, minWords = 5): Span[] {
  const spans: Span[] = [];
  for (const [a, b] of splitSentences(text, from, to)) {
    const words = [...text.slice(a, b).matchAll(/\S+/g)].map((m) => [a + m.index, a + m.index + m[0].length] as Span);
    const starts = subSentenceStarts(words.map(([s, e]) => text.slice(s, e)), minWords);
    for (let k = 0; k < words.length; k++) {
      if (starts[k]) spans.push([words[k]![0], words[k]![1]]);
      else spans[spans.length - 1]![1] = words[k]![1];
    }
  }
  return spans;
}

/**
 * Segment rewards (METRICS 6.4): every token is assigned to exactly one segment (see the note at the top)
 * and each segment gets the sum of its tokens' rewards. `segments` must be sorted and non-overlapping, in
 * the same text coordinates as `tokenSpans`. With no segments (an empty or blank completion) all tokens go
 * to one empty segment at `completionStart`. Returns one entry per segment, in order.
 */
export function segmentRewards(
  tokenSpans: readonly SpanLike[],
  tokenRewards: ArrayLike<number>,
  segments: readonly SpanLike[],
  completionStart: number,
): SegmentReward[] {
  const n = tokenSpans.length;
  if (tokenRewards.length !== n) {
    throw new RangeError(`segmentRewards: ${n} token spans but ${tokenRewards.length} token rewards`);
  }
  for (let j = 0; j < segments.length; j++) {
    const [s, e] = segments[j]!;
    if (!(e >= s) || (j > 0 && s < segments[j - 1]![1])) throw new RangeError(`segmentRewards: segment ${j} [${s}, ${e}) is out of order`);
  }
  const segs: readonly SpanLike[] = segments.length > 0 ? segments : n > 0 ? [[completionStart, completionStart]] : [];
  const out: SegmentReward[] = segs.map(([s, e]) => ({ span: [s, e], reward: 0, tokens: [0, 0], cumulative: 0 }));
  if (out.length === 0) return out;
  // The first segment whose end lies after the token start (binary search), else the last; never earlier
  // than the previous token's segment.
  const segmentOf = (start: number): number => {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid]![1] > start) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  let acc = 0;
  let j = 0;
  let first = 0;
  let segAcc = 0;
  const close = (end: number): void => {
    out[j]!.tokens = [first, end];
    out[j]!.reward = segAcc;
    out[j]!.cumulative = acc;
  };
  for (let t = 0; t < n; t++) {
    const target = Math.max(j, segmentOf(tokenSpans[t]![0]));
    if (target !== j) {
      close(t);
      for (let k = j + 1; k < target; k++) Object.assign(out[k]!, { tokens: [t, t], cumulative: acc }); // no tokens
      j = target;
      first = t;
      segAcc = 0;
    }
    const r = tokenRewards[t]!;
    segAcc += r;
    acc += r;
  }
  close(n);
  for (let k = j + 1; k < out.length; k++) Object.assign(out[k]!, { tokens: [n, n], cumulative: acc });
  return out;
}

/** The segment with the most negative reward (the first on ties); undefined when none is negative. */
export function worstSegment<S extends { reward: number }>(segments: readonly S[]): S | undefined {
  let worst: S | undefined;
  for (const s of segments) if (s.reward < 0 && (worst === undefined || s.reward < worst.reward)) worst = s;
  return worst;
}
