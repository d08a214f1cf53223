/**
 * Chat templates as Hugging Face transformers finds and renders them (METRICS.md section 1.1,
 * convention A: TRL renders conversational rows with `apply_chat_template`; ENGINE-NOTES.md 4.5).
 *
 * Design note
 * - Where the template comes from, in transformers' order: `chat_template.jinja` in the model
 *   folder, else `tokenizer_config.json`'s `chat_template`, which may be a string or a list of
 *   `{name, template}` (the one named "default" is used, as transformers does when no name is asked).
 * - Rendering uses @huggingface/jinja (trim_blocks and lstrip_blocks on, as transformers' Jinja
 *   environment). Variables as transformers passes them: the special tokens that are set
 *   (`bos_token`, `eos_token`, ...), then the caller's `chat_template_kwargs`, then `messages`,
 *   `tools` (null when absent, so `tools is not none` is false), `documents` (null) and
 *   `add_generation_prompt`. The fixed variables win over kwargs of the same name (Python would
 *   raise on the duplicate).
 * - Templates are compiled once per distinct source.
 * Example: ChatML with [{role:'user', content:'hi'}] and add_generation_prompt=true ->
 * "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n".
 */
import { Template } from '@huggingface/jinja';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChatTemplateOptions {
  addGenerationPrompt: boolean;
  tools?: unknown;
  /** `chat_template_kwargs` forwarded by TRL (e.g. `enable_thinking`). */
  extra?: Record<string, unknown>;
}

/** The chat template of a model folder, or null when it has none. */
export function findChatTemplate(modelDir: string, config: Record<string, unknown>): string | null {
  const jinjaFile = join(modelDir, 'chat_template.jinja');
  if (existsSync(jinjaFile)) return readFileSync(jinjaFile, 'utf8');
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.filter((t): t is { name: string; template: string } => typeof t === 'object' && t !== null && typeof (t as { template?: unknown }).template === 'string');
    const chosen = named.find((t) => t.name === 'default');
    if (chosen) return chosen.template;
    if (named.length > 0) {
      throw new Error(`${modelDir}: tokenizer_config.json has several chat templates (${named.map((t) => t.name).join(', ')}) but none named "default"`);
    }
  }
  return null;
}

const compiled = new Map<string, Template>();

export function renderChatTemplate(source: string, messages: readonly unknown[], specialTokens: Record<string, unknown>, options: ChatTemplateOptions): string {
  let template = compiled.get(source);
  if (!template) {
    template = new Template(source);
    compiled.set(source, template);
  }
  return template.render({
    ...specialTokens,
    ...(options.extra ?? {}),
    messages,
    tools: options.tools ?? null,
    documents: null,
    add_generation_prompt: options.addGenerationPrompt,
  });
}
