/** Options shared by the CLI commands that open a dataset. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ColumnMapping } from '../data/schema';
import { CliUsageError, type ParsedArgs } from './args';

export const DATASET_OPTIONS = ['cache-dir', 'prompt-column', 'chosen-column', 'rejected-column'] as const;

export function cacheDirFrom(args: ParsedArgs): string {
  return args.options.get('cache-dir') ?? process.env.PREFLENS_CACHE ?? join(homedir(), '.cache', 'preflens');
}

export function mappingFrom(args: ParsedArgs): ColumnMapping | undefined {
  const chosen = args.options.get('chosen-column');
  const rejected = args.options.get('rejected-column');
  const prompt = args.options.get('prompt-column');
  if (!chosen && !rejected && !prompt) return undefined;
  if (!chosen || !rejected) throw new CliUsageError('--chosen-column and --rejected-column go together (--prompt-column is optional)');
  return { prompt, chosen, rejected };
}

/** `file:line:column` like a compiler, so terminals and editors can jump to it. */
export function formatLocation(issue: { file: string; line?: number; column?: number; index?: number; field?: string }): string {
  let where = issue.file;
  if (issue.line !== undefined) where += `:${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}`;
  else if (issue.index !== undefined) where += ` (row ${issue.index})`;
  return where;
}
