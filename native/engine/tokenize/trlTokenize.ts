/**
 * One preference pair tokenized exactly as TRL HEAD's DPOTrainer does it (METRICS.md section 1.1,
 * convention A: `DPOTrainer._prepare_dataset` + `DataCollatorForPreference`), checked id for id
 * against test/fixtures/trl-golden (produced by TRL 1.13 itself).
 *
 * Design note
 * - String rows: the EOS text is appended to chosen and rejected unless they already end with it;
 *   `prompt` and `prompt + chosen` / `prompt + rejected` are tokenized with add_special_tokens=true
 *   (a BOS only if the tokenizer's post_processor adds one). No separator is inserted.
 * - Conversational rows: prompt text = chat template of `prompt` with add_generation_prompt=true;
 *   full text = chat template of `prompt + chosen` (add_generation_prompt=false); both tokenized
 *   with add_special_tokens=false (what apply_chat_template(tokenize=True) does). `tools` and
 *   `chat_template_kwargs` are forwarded. No extra EOS: the template's end-of-turn is scored.
 *   A template error on a row (raise_exception) drops that row with the message; TRL would stop.
 * - Split: completion ids = full_ids[len(prompt_ids):]. When full_ids does not start with
 *   prompt_ids (a token merge across the boundary, e.g. a prompt ending in a space), TRL only
 *   warns and still scores prompt_ids + completion_ids; `prefixMismatch` records it.
 * - Truncation (`truncation_mode="keep_start"`): prompt + completion is cut to maxLength, so the
 *   completion's tail goes (`truncated`); a prompt of maxLength tokens or more drops the pair
 *   (`dropped`, the untruncated ids are still returned for display). maxLength null: no limit.
 * - Offsets: the completion tokens' UTF-16 spans inside chosenFullText / rejectedFullText. With a
 *   prefix mismatch the first completion span need not start at promptText.length (golden
 *   trl_strings[9]: prompt "...Answer: " ends in a " " token, the full text has " P" "and" ..., so
 *   the completion starts at "and" and the "P" is scored nowhere).
 * Example (golden trl_strings[0]): prompt "Question: ...\nAnswer:", chosen " There are eight
 * planets in the solar system." -> chosenFullText ends with "<|im_end|>", chosenIds ends with 858.
 */
import type { Pair } from '../../data/normalizePair';
import type { Message, Turns } from '../../data/messages';
import type { ModelTokenizer } from './modelTokenizer';

/** DPOConfig.max_length default in TRL. */
export const TRL_DEFAULT_MAX_LENGTH = 1024;

export type TrlPairInput = Pick<Pair, 'kind' | 'prompt' | 'chosen' | 'rejected' | 'tools' | 'chatTemplateKwargs'>;

export interface TrlTokenizeOptions {
  /** DPOConfig.max_length; null disables truncation. Default 1024 (TRL's default). */
  maxLength?: number | null;
}

export interface PerSide<T> {
  chosen: T;
  rejected: T;
}

export interface TokenizedPair {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  promptText: string;
  chosenFullText: string;
  rejectedFullText: string;
  prefixMismatch: PerSide<boolean>;
  truncated: PerSide<boolean>;
  /** UTF-16 [start, end) of each completion token in chosenFullText (same length as chosenIds). */
  chosenOffsets: [number, number][];
  rejectedOffsets: [number, number][];
  /** Why TRL would not score this pair (the ids above are then untruncated, for display). */
  dropped?: string;
}

function startsWith(ids: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > ids.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  return true;
}

interface Rendered {
  promptText: string;
  full: PerSide<string>;
  addSpecialTokens: boolean;
}

function renderStrings(prompt: string, chosen: string, rejected: string, tokenizer: ModelTokenizer): Rendered {
  const eos = tokenizer.eosToken;
  if (eos === null) throw new Error(`${tokenizer.modelDir}: the tokenizer has no eos_token, which TRL appends to string responses`);
  const withEos = (s: string): string => (s.endsWith(eos) ? s : s + eos);
  return { promptText: prompt, full: { chosen: prompt + withEos(chosen), rejected: prompt + withEos(rejected) }, addSpecialTokens: true };
}

function renderMessages(pair: TrlPairInput, prompt: Message[], chosen: Message[], rejected: Message[], tokenizer: ModelTokenizer): Rendered {
  const common = { tools: pair.tools ?? undefined, extra: pair.chatTemplateKwargs };
  return {
    promptText: tokenizer.applyChatTemplate(prompt, { ...common, addGenerationPrompt: true }),
    full: {
      chosen: tokenizer.applyChatTemplate([...prompt, ...chosen], { ...common, addGenerationPrompt: false }),
      rejected: tokenizer.applyChatTemplate([...prompt, ...rejected], { ...common, addGenerationPrompt: false }),
    },
    addSpecialTokens: false,
  };
}

function render(pair: TrlPairInput, tokenizer: ModelTokenizer): Rendered | string {
  const { prompt, chosen, rejected } = pair;
  const isList = (t: Turns): t is Message[] => Array.isArray(t);
  if (pair.kind === 'string') {
    if (typeof prompt === 'string' && typeof chosen === 'string' && typeof rejected === 'string') return renderStrings(prompt, chosen, rejected, tokenizer);
  } else if (isList(prompt) && isList(chosen) && isList(rejected)) {
    if (tokenizer.chatTemplate === null) return renderMessages(pair, prompt, chosen, rejected, tokenizer); // throws: a model-level problem
    try {
      return renderMessages(pair, prompt, chosen, rejected, tokenizer);
    } catch (error) {
      // e.g. raise_exception("Conversation roles must alternate"): TRL raises too; here only this row is lost
      return `the chat template failed on this row: ${(error as Error).message}`;
    }
  }
  return 'prompt, chosen and rejected mix strings and message lists: TRL cannot tokenize this row (it raises)';
}

/** Tokenizes one pair as TRL's DPOTrainer does (see the design note). */
export function tokenizePairTrl(pair: TrlPairInput, tokenizer: ModelTokenizer, options: TrlTokenizeOptions = {}): TokenizedPair {
  const maxLength = options.maxLength === undefined ? TRL_DEFAULT_MAX_LENGTH : options.maxLength;
  const rendered = render(pair, tokenizer);
  if (typeof rendered === 'string') {
    return {
      promptIds: [], chosenIds: [], rejectedIds: [], promptText: '', chosenFullText: '', rejectedFullText: '',
      prefixMismatch: { chosen: false, rejected: false }, truncated: { chosen: false, rejected: false },
      chosenOffsets: [], rejectedOffsets: [], dropped: rendered,
    };
  }
  const encodeOptions = { addSpecialTokens: rendered.addSpecialTokens };
  const promptIds = tokenizer.encode(rendered.promptText, encodeOptions).ids;
  const dropped = maxLength !== null && promptIds.length >= maxLength ? `the prompt is ${promptIds.length} tokens, at least max_length ${maxLength}: TRL drops it (truncation_mode keep_start)` : undefined;
  const side = (fullText: string): { ids: number[]; offsets: [number, number][]; mismatch: boolean; truncated: boolean } => {
    const full = tokenizer.encode(fullText, encodeOptions);
    let ids = full.ids.slice(promptIds.length);
    let offsets = full.offsets.slice(promptIds.length);
    const keep = maxLength === null || dropped ? ids.length : maxLength - promptIds.length;
    const truncated = ids.length > keep;
    if (truncated) {
      ids = ids.slice(0, keep);
      offsets = offsets.slice(0, keep);
    }
    return { ids, offsets, mismatch: !startsWith(full.ids, promptIds), truncated };
  };
  const chosen = side(rendered.full.chosen);
  const rejected = side(rendered.full.rejected);
  const result: TokenizedPair = {
    promptIds,
    chosenIds: chosen.ids,
    rejectedIds: rejected.ids,
    promptText: rendered.promptText,
    chosenFullText: rendered.full.chosen,
    rejectedFullText: rendered.full.rejected,
    prefixMismatch: { chosen: chosen.mismatch, rejected: rejected.mismatch },
    truncated: { chosen: chosen.truncated, rejected: rejected.truncated },
    chosenOffsets: chosen.offsets,
    rejectedOffsets: rejected.offsets,
  };
  if (dropped) result.dropped = dropped;
  return result;
}
