/**
 * Colours for charts, read from the VS Code theme (`--vscode-*` CSS variables) at draw time so
 * light, dark and high-contrast themes all work, and canvas drawing (which cannot use CSS
 * variables) gets concrete colours.
 */
import { scaleDiverging } from 'd3-scale';
import { interpolateRdBu } from 'd3-scale-chromatic';

export function themeColor(variable: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
  return value || fallback;
}

export const chartColors = () => ({
  foreground: themeColor('--vscode-foreground', '#cccccc'),
  muted: themeColor('--vscode-descriptionForeground', '#999999'),
  accent: themeColor('--vscode-charts-blue', '#3794ff'),
  positive: themeColor('--vscode-charts-green', '#89d185'),
  negative: themeColor('--vscode-charts-red', '#f14c4c'),
  warning: themeColor('--vscode-charts-yellow', '#cca700'),
  flag: themeColor('--vscode-charts-purple', '#b180d7'),
  grid: themeColor('--vscode-editorWidget-border', '#454545'),
});

/**
 * Token-reward colours: a diverging scale centred at zero (red: the token lowers the
 * response's reward, blue: raises it), symmetric so equal magnitudes look equal.
 */
export function rewardScale(maxAbs: number): (value: number) => string {
  const m = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs : 1;
  const scale = scaleDiverging(interpolateRdBu).domain([-m, 0, m]);
  return (v: number) => scale(Number.isFinite(v) ? v : 0);
}
