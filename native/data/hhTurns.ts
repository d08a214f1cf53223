/**
 * Splits an Anthropic HH-RLHF transcript into turns, for display only. Scoring never uses this
 * split: TRL scores the raw strings with the longest-common-prefix prompt.
 */
export interface HhTurn {
  role: 'user' | 'assistant';
  content: string;
}

const MARKER = /\n\n(Human|Assistant):/g;

export function parseHhTurns(transcript: string): HhTurn[] {
  const turns: HhTurn[] = [];
  const marks = [...transcript.matchAll(MARKER)];
  for (let i = 0; i < marks.length; i++) {
    const mark = marks[i]!;
    const start = mark.index! + mark[0].length;
    const end = i + 1 < marks.length ? marks[i + 1]!.index! : transcript.length;
    turns.push({ role: mark[1] === 'Human' ? 'user' : 'assistant', content: transcript.slice(start, end).replace(/^ /, '') });
  }
  return turns;
}
