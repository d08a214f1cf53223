/**
 * Colours for charts, read from the VS Code theme (`--vscode-*` CSS variables) at draw time so
 * light, dark and high-contrast themes all work, and canvas drawing (which cannot use CSS
 * variables) gets concrete colours.
 */

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
 * Token-reward colours: red lowers the response's reward, blue raises it, and the strength of the
 * tint is |reward| / maxAbs (symmetric, so equal magnitudes look equal). The tint is translucent
 * over the theme's background, so a token near zero looks like plain text in light, dark and
 * high-contrast themes alike, and the text keeps the theme's foreground colour (the tint stops at
 * 70% so that colour stays readable on it).
 */
export const TOKEN_RED = [178, 24, 43] as const;
export const TOKEN_BLUE = [33, 102, 172] as const;
export const TOKEN_MAX_ALPHA = 0.7;

export function rewardScale(maxAbs: number): (value: number) => string {
  const m = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs : 1;
  return (v: number) => {
    const value = Number.isFinite(v) ? v : 0;
    const [r, g, b] = value < 0 ? TOKEN_RED : TOKEN_BLUE;
    const alpha = TOKEN_MAX_ALPHA * Math.min(1, Math.abs(value) / m);
    return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
  };
}
