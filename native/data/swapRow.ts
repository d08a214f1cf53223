/**
 * Reverses the label of one source row in its own schema, for `--apply-swaps` and the
 * extension's "Swap chosen/rejected in the file".
 *
 * Design note: the two response fields trade values and so do the fields that describe a
 * response (`score_chosen`/`score_rejected`, `chosen-rating`/`rejected-rating`,
 * `chosen_model`/`rejected_model`, ...), so scores stay attached to their text. For
 * paired-preference rows the preference value changes sign. Key order is kept, so a swapped
 * line differs from the source only in the values that moved.
 */
import type { ColumnMapping } from './schema';

const PARTNER_PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^(.*)([_-])chosen$/, (m) => `${m[1]}${m[2]}rejected`],
  [/^(.*)([_-])rejected$/, (m) => `${m[1]}${m[2]}chosen`],
  [/^chosen([_-])(.*)$/, (m) => `rejected${m[1]}${m[2]}`],
  [/^rejected([_-])(.*)$/, (m) => `chosen${m[1]}${m[2]}`],
];

function partnerOf(key: string): string | undefined {
  for (const [pattern, make] of PARTNER_PATTERNS) {
    const match = pattern.exec(key);
    if (match) return make(match);
  }
  return undefined;
}

export function swapRow(row: Record<string, unknown>, mapping: ColumnMapping): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  if ('chosen' in mapping) {
    out[mapping.chosen] = row[mapping.rejected];
    out[mapping.rejected] = row[mapping.chosen];
    for (const key of Object.keys(row)) {
      const partner = partnerOf(key);
      if (partner && partner !== key && Object.prototype.hasOwnProperty.call(row, partner) && key !== mapping.chosen && key !== mapping.rejected) {
        out[key] = row[partner];
      }
    }
  } else {
    const value = row[mapping.preference];
    if (typeof value === 'number') out[mapping.preference] = -value;
  }
  // Rebuild in the original key order (object spread already keeps it; assignments do not add keys).
  return out;
}
