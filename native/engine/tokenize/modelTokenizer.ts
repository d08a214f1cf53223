/**
 * A model folder's tokenizer as TRL sees it through transformers (METRICS.md section 1.1,
 * convention A): ids from `tokenizer.json`, special tokens from `tokenizer_config.json` /
 * `special_tokens_map.json`, the chat template, and UTF-16 offsets for highlighting.
 *
 * Design note
 * - Ids come from @huggingface/tokenizers (pure JS). It matches special/added-token text inside
 *   any string (transformers' default `split_special_tokens=False`) and adds BOS/EOS only through
 *   the `post_processor` of tokenizer.json when `addSpecialTokens` is true; a null post_processor
 *   adds nothing. (transformers may rebuild a Llama-style post_processor from `add_bos_token` /
 *   `add_eos_token` in tokenizer_config.json; this module trusts tokenizer.json, see the report.)
 * - Offsets are rebuilt from the token strings (tokenOffsets.ts). Tokens added by the
 *   post_processor are located by encoding once more without special tokens; they get empty
 *   spans at the start (prefix) or end (suffix) of the text.
 * - `hash` = sha256(tokenizer.json bytes + tokenizer_config.json bytes): results are comparable
 *   only under the same hash and `chatTemplateHash` (sha256 of the template source).
 * - `vocabSize` = max id + 1 over the model vocab and the added tokens (the embedding rows the
 *   ids need; a model's logits may be wider).
 * Example: loadModelTokenizer('models/reference') -> eosToken "<|im_end|>", eosTokenId 858,
 * bosTokenId null, padTokenId 856, vocabSize 859.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findChatTemplate, renderChatTemplate, type ChatTemplateOptions } from './chatTemplate';
import { alignOffsets, type OffsetMode } from './tokenOffsets';

export type { ChatTemplateOptions } from './chatTemplate';
export type { OffsetMode } from './tokenOffsets';

export interface EncodeResult {
  ids: number[];
  /** UTF-16 [start, end) of each token in the encoded text. */
  offsets: [number, number][];
}

export interface ModelTokenizer {
  readonly modelDir: string;
  readonly eosToken: string | null;
  readonly eosTokenId: number | null;
  readonly bosToken: string | null;
  readonly bosTokenId: number | null;
  readonly padToken: string | null;
  readonly padTokenId: number | null;
  readonly vocabSize: number;
  readonly hash: string;
  readonly chatTemplate: string | null;
  readonly chatTemplateHash: string | null;
  /** How offsets are rebuilt: exact for 'byte-level' without a normalizer, best effort otherwise. */
  readonly offsetMode: OffsetMode;
  encode(text: string, options: { addSpecialTokens: boolean }): EncodeResult;
  applyChatTemplate(messages: readonly unknown[], options: ChatTemplateOptions): string;
  decode(ids: readonly number[]): string;
}

type Json = Record<string, unknown>;

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A special token as tokenizer_config stores it: a string, an AddedToken object, or null. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

/** Whether a tokenizer.json component (or one nested in a Sequence) has this type. */
function hasType(node: unknown, type: string): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as Json;
  if (n.type === type) return true;
  for (const key of ['pretokenizers', 'decoders', 'normalizers', 'processors']) {
    const list = n[key];
    if (Array.isArray(list) && list.some((child) => hasType(child, type))) return true;
  }
  return false;
}

function offsetModeOf(json: Json): OffsetMode {
  if (hasType(json.pre_tokenizer, 'ByteLevel') || hasType(json.decoder, 'ByteLevel')) return 'byte-level';
  const model = (json.model ?? {}) as Json;
  if (hasType(json.pre_tokenizer, 'Metaspace') || hasType(json.decoder, 'Metaspace') || hasType(json.normalizer, 'Prepend') || model.byte_fallback === true) return 'metaspace';
  return 'plain';
}

function maxVocabId(json: Json): number {
  let max = -1;
  const vocab = ((json.model ?? {}) as Json).vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [[piece, score], ...]
  else if (vocab && typeof vocab === 'object') for (const id of Object.values(vocab as Record<string, number>)) if (id > max) max = id;
  for (const t of (json.added_tokens ?? []) as { id: number }[]) if (t.id > max) max = t.id;
  return max;
}

const sha256 = (...parts: (Buffer | string)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

async function readJsonIfPresent(path: string): Promise<{ json: Json; bytes: Buffer } | undefined> {
  if (!existsSync(path)) return undefined;
  const bytes = await readFile(path);
  try {
    return { json: JSON.parse(bytes.toString('utf8')) as Json, bytes };
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

class LoadedTokenizer implements ModelTokenizer {
  readonly eosToken: string | null;
  readonly eosTokenId: number | null;
  readonly bosToken: string | null;
  readonly bosTokenId: number | null;
  readonly padToken: string | null;
  readonly padTokenId: number | null;
  readonly vocabSize: number;
  readonly chatTemplateHash: string | null;
  readonly offsetMode: OffsetMode;
  private readonly tok: Tokenizer;
  private readonly addedContents: Set<string>;
  private readonly hasPostProcessor: boolean;
  private readonly subwordPrefix: string | undefined;
  private readonly templateVars: Json = {};

  constructor(
    readonly modelDir: string,
    tokenizerJson: Json,
    config: Json,
    readonly hash: string,
    readonly chatTemplate: string | null,
  ) {
    this.tok = new Tokenizer(tokenizerJson, config);
    this.addedContents = new Set(((tokenizerJson.added_tokens ?? []) as { content: string }[]).map((t) => t.content));
    this.hasPostProcessor = tokenizerJson.post_processor !== null && tokenizerJson.post_processor !== undefined;
    this.offsetMode = offsetModeOf(tokenizerJson);
    const prefix = ((tokenizerJson.model ?? {}) as Json).continuing_subword_prefix;
    this.subwordPrefix = typeof prefix === 'string' && prefix.length > 0 ? prefix : undefined;
    for (const key of SPECIAL_KEYS) {
      const text = tokenText(config[key]);
      if (text !== null) this.templateVars[key] = text;
    }
    if (Array.isArray(config.additional_special_tokens)) this.templateVars.additional_special_tokens = config.additional_special_tokens.map(tokenText);
    const idOf = (text: string | null): number | null => (text === null ? null : (this.tok.token_to_id(text) ?? null));
    this.eosToken = tokenText(config.eos_token);
    this.bosToken = tokenText(config.bos_token);
    this.padToken = tokenText(config.pad_token);
    this.eosTokenId = idOf(this.eosToken);
    this.bosTokenId = idOf(this.bosToken);
    this.padTokenId = idOf(this.padToken);
    this.vocabSize = maxVocabId(tokenizerJson) + 1;
    this.chatTemplateHash = chatTemplate === null ? null : sha256(chatTemplate);
  }

  private checkedIds(ids: (number | undefined)[], text: string): number[] {
    const bad = ids.findIndex((id) => typeof id !== 'number');
    if (bad >= 0) throw new Error(`${this.modelDir}: token ${bad} of ${JSON.stringify(text.slice(0, 40))} has no id in the vocabulary`);
    return ids as number[];
  }

  encode(text: string, options: { addSpecialTokens: boolean }): EncodeResult {
    const encoded = this.tok.encode(text, { add_special_tokens: options.addSpecialTokens });
    const ids = this.checkedIds(encoded.ids, text);
    let inner = encoded;
    let at = 0;
    if (options.addSpecialTokens && this.hasPostProcessor) {
      const plain = this.tok.encode(text, { add_special_tokens: false });
      const found = indexOfRun(encoded.ids, plain.ids);
      if (found >= 0) {
        inner = plain;
        at = found;
      }
    }
    const spans = alignOffsets(text, inner.tokens.map((token) => ({ token, literal: this.addedContents.has(token) })), this.offsetMode, this.subwordPrefix);
    const offsets = ids.map((_, i): [number, number] => (i < at ? [0, 0] : i < at + spans.length ? spans[i - at]! : [text.length, text.length]));
    return { ids, offsets };
  }

  applyChatTemplate(messages: readonly unknown[], options: ChatTemplateOptions): string {
    if (this.chatTemplate === null) {
      throw new Error(`${this.modelDir}: the tokenizer has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja), so conversational rows cannot be rendered`);
    }
    return renderChatTemplate(this.chatTemplate, messages, this.templateVars, options);
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: false });
  }
}

/** First index where `run` occurs contiguously in `ids`, or -1. */
function indexOfRun(ids: readonly number[], run: readonly number[]): number {
  outer: for (let i = 0; i + run.length <= ids.length; i++) {
    for (let j = 0; j < run.length; j++) if (ids[i + j] !== run[j]) continue outer;
    return i;
  }
  return -1;
}

export async function loadModelTokenizer(modelDir: string): Promise<ModelTokenizer> {
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) throw new Error(`model folder ${modelDir} does not exist or is not a folder`);
  const tokenizerPath = join(modelDir, 'tokenizer.json');
  const tokenizer = await readJsonIfPresent(tokenizerPath);
  if (!tokenizer) {
    throw new Error(`model folder ${modelDir} has no tokenizer.json: PrefLens needs the Hugging Face fast-tokenizer file (save it with tokenizer.save_pretrained(), or copy it from the model repository)`);
  }
  const config = await readJsonIfPresent(join(modelDir, 'tokenizer_config.json'));
  const specialMap = await readJsonIfPresent(join(modelDir, 'special_tokens_map.json'));
  // tokenizer_config.json wins; special_tokens_map.json fills what it lacks
  const merged: Json = { ...(specialMap?.json ?? {}) };
  for (const [key, value] of Object.entries(config?.json ?? {})) if (value !== null && value !== undefined) merged[key] = value;
  const hash = sha256(tokenizer.bytes, config?.bytes ?? Buffer.alloc(0));
  return new LoadedTokenizer(modelDir, tokenizer.json, merged, hash, findChatTemplate(modelDir, merged));
}
