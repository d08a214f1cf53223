/**
 * Phrase counting for factors.ts (refusal, hedging, apology) on the words factorText has already
 * scanned, instead of one Unicode regex scan per phrase list per response.
 *
 * Design note
 * - Definition (unchanged): for each list, the number of matches of
 *       /(?<![\p{L}\p{N}])(?:p1|p2|…)(?![\p{L}\p{N}])/gu
 *   on the normalized text (curly apostrophes ‘ ’ ʼ → ', then lowercased), a space in a phrase
 *   standing for \s+. phraseRegex below builds that very expression; it is still used, as is, for
 *   texts that hold U+02BC (see the last point).
 * - Why the word scan suffices: every phrase starts with an ASCII letter, so a match can only
 *   start where a word (a [\p{L}\p{N}]+ run of the lowercased text) starts, and that word must be
 *   the phrase's leading letter run (the regex needs a non-letter right after it). So at each word
 *   start whose word id leads some phrase, the phrases are tried in list order (the regex takes the
 *   first alternative that matches, not the longest), and a match resumes the search at its end
 *   (global matches never overlap). Lists are counted independently, as with three regexes.
 * - Second-word filter: a phrase's second letter run (`can` in "i can't", `m` in "i'm sorry, but")
 *   is followed in the phrase by a non-letter or its end, and only whitespace or an apostrophe
 *   precedes it, so in a matching text it is exactly the next scanned word. Comparing that word's
 *   id first skips the phrases that cannot match ("i" leads 15 of them) without reading characters.
 * - U+02BC (modifier letter apostrophe) is a letter for words() but an apostrophe after
 *   normalization, so word starts and match boundaries differ; texts holding it take the regex.
 */
import { classes, isSpace, wordUnits, type Vocabulary, type WordBuffer } from './factorText';

const APOSTROPHES = new Set([0x27, 0x2018, 0x2019, 0x2bc]);

/** The regex factors.ts used for one phrase list (kept as the definition and the fallback). */
export const phraseRegex = (list: readonly string[]): RegExp =>
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${list.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'gu');

/** Curly apostrophes as straight ones, lowercased, so "I can’t" matches "i can't". */
export const normalizeApostrophes = (text: string): string => text.replace(/[\u2018\u2019\u02bc]/g, "'").toLowerCase();

/**
 * End of `phrase` matched at lower[p] (space = \s+, apostrophe = any of APOSTROPHES), followed by
 * no letter or digit; -1 when it does not match there.
 */
function matchAt(lower: string, p: number, phrase: string, cls: Uint8Array): number {
  const len = lower.length;
  let j = p;
  for (let k = 0; k < phrase.length; k++) {
    const want = phrase.charCodeAt(k);
    if (j >= len) return -1;
    if (want === 32) {
      if (!isSpace(lower, j, cls)) return -1;
      do j++;
      while (j < len && isSpace(lower, j, cls));
    } else if (want === 39) {
      if (!APOSTROPHES.has(lower.charCodeAt(j))) return -1;
      j++;
    } else {
      if (lower.charCodeAt(j) !== want) return -1;
      j++;
    }
  }
  return j < len && wordUnits(lower, j, cls) !== 0 ? -1 : j;
}

interface Candidate {
  phrase: string;
  /** The phrase's second letter run, if it has one, and its vocabulary id (this epoch). */
  second: string | undefined;
  secondId: number;
}

/** Counts every phrase list's matches in one walk over a text's words. */
export class PhraseCounter {
  readonly regexes: RegExp[];
  /** For a leading word: per list, its phrases that start with that word, in list order. */
  private readonly byLead = new Map<string, Candidate[][]>();
  private readonly leads: Candidate[][][] = [];
  /** Per vocabulary id: 0 not looked up yet, -1 leads no phrase, k + 1 index into `leads`. */
  private tags: Int32Array;
  private epoch = -1;
  private readonly next: number[];

  constructor(
    private readonly vocab: Vocabulary,
    lists: readonly (readonly string[])[],
  ) {
    this.regexes = lists.map(phraseRegex);
    this.next = lists.map(() => 0);
    lists.forEach((list, l) => {
      for (const phrase of list) {
        const runs = phrase.match(/[a-z]+/g) ?? [];
        if (!/^[a-z]/.test(phrase)) throw new Error(`phrase must start with a lowercase ASCII letter: ${phrase}`);
        let perList = this.byLead.get(runs[0]!);
        if (!perList) this.byLead.set(runs[0]!, (perList = lists.map(() => [])));
        perList[l]!.push({ phrase, second: runs[1], secondId: -1 });
      }
    });
    this.tags = new Int32Array(vocab.capacity((capacity) => this.grow(capacity)));
  }

  private grow(capacity: number): void {
    const tags = new Int32Array(capacity);
    tags.set(this.tags);
    this.tags = tags;
  }

  /** After a vocabulary reset (and at first use): forget tags, look the second words up again. */
  private sync(): void {
    if (this.vocab.epoch === this.epoch) return;
    this.tags.fill(0);
    this.leads.length = 0;
    this.epoch = this.vocab.epoch;
    for (const perList of this.byLead.values()) {
      for (const candidates of perList) for (const c of candidates) c.secondId = c.second === undefined ? -1 : this.vocab.idOf(c.second);
    }
  }

  private tag(id: number): number {
    let t = this.tags[id]!;
    if (t === 0) {
      const perList = this.byLead.get(this.vocab.words[id]!);
      if (perList) {
        this.leads.push(perList);
        t = this.leads.length;
      } else t = -1;
      this.tags[id] = t;
    }
    return t;
  }

  /** Matches per list in `lower` (the text's toLowerCase()), whose words `ws` were scanned from it. */
  count(text: string, lower: string, ws: WordBuffer, out: number[]): void {
    this.sync();
    const lists = this.regexes.length;
    for (let l = 0; l < lists; l++) out[l] = 0;
    if (lower.includes('\u02bc')) {
      const normalized = normalizeApostrophes(text);
      for (let l = 0; l < lists; l++) out[l] = normalized.match(this.regexes[l]!)?.length ?? 0;
      return;
    }
    const cls = classes();
    const next = this.next;
    for (let l = 0; l < lists; l++) next[l] = 0;
    const ids = ws.ids;
    for (let w = 0; w < ws.n; w++) {
      const t = this.tag(ids[w]!);
      if (t < 0) continue;
      const p = ws.starts[w]!;
      const following = w + 1 < ws.n ? ids[w + 1]! : -1;
      const perList = this.leads[t - 1]!;
      for (let l = 0; l < lists; l++) {
        if (p < next[l]!) continue;
        for (const c of perList[l]!) {
          if (c.secondId >= 0 && c.secondId !== following) continue;
          const end = matchAt(lower, p, c.phrase, cls);
          if (end >= 0) {
            out[l]!++;
            next[l] = end;
            break;
          }
        }
      }
    }
  }
}
