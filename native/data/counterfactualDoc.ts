/**
 * The scratch document of a counterfactual edit: a pair's prompt, chosen and rejected response
 * in a readable layout that a person edits like any text, and its parser.
 *
 * Design note: sections are delimited by marker lines (`===== CHOSEN =====`); the text between
 * markers is the response verbatim (the one newline after a marker and before the next marker is
 * layout, not content), so any response text, including lines that look like comments, round
 * trips exactly. The prompt is shown for context; edits to it are ignored and reported.
 */

export const MARKERS = { prompt: '===== PROMPT (context, not re-scored) =====', chosen: '===== CHOSEN =====', rejected: '===== REJECTED =====' } as const;

export interface CounterfactualTexts {
  prompt: string;
  chosen: string;
  rejected: string;
}

export function renderCounterfactual(title: string, texts: CounterfactualTexts): string {
  return [
    `PrefLens counterfactual: ${title}`,
    'Edit the CHOSEN or REJECTED text; the PrefLens panel re-scores the edited side as you type.',
    'Keep the ===== lines. Nothing is written to the dataset until you choose to.',
    '',
    MARKERS.prompt,
    texts.prompt,
    MARKERS.chosen,
    texts.chosen,
    MARKERS.rejected,
    texts.rejected,
    '',
  ].join('\n');
}

export type ParseResult = { ok: true; texts: CounterfactualTexts } | { ok: false; problem: string };

export function parseCounterfactual(text: string): ParseResult {
  const find = (marker: string): number => {
    const at = text.indexOf(`\n${marker}\n`);
    return at < 0 ? -1 : at + 1;
  };
  const p = find(MARKERS.prompt);
  const c = find(MARKERS.chosen);
  const r = find(MARKERS.rejected);
  if (p < 0 || c < 0 || r < 0 || !(p < c && c < r)) {
    return { ok: false, problem: `the marker lines must stay, in order: ${MARKERS.prompt}, ${MARKERS.chosen}, ${MARKERS.rejected}` };
  }
  const body = (from: number, marker: string, to: number): string => text.slice(from + marker.length + 1, to - 1);
  // the rejected section runs to the end; the layout adds one trailing newline
  const rejected = text.slice(r + MARKERS.rejected.length + 1).replace(/\n$/, '');
  return { ok: true, texts: { prompt: body(p, MARKERS.prompt, c), chosen: body(c, MARKERS.chosen, r), rejected } };
}
