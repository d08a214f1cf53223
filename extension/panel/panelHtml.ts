/**
 * Builds the HTML document of the PrefLens panel.
 *
 * Design note: the page loads exactly one script and one stylesheet, both from the extension's
 * own `dist/` and `media/` folders (the only `localResourceRoots`). The Content Security Policy
 * starts from `default-src 'none'`; scripts run only with a per-load nonce from
 * `crypto.randomBytes`, styles come only from the webview resource origin (no
 * `'unsafe-inline'`: components use constructable stylesheets and views set styles via CSSOM),
 * and no network origin is allowed. Kept free of `vscode` imports so it is unit-testable.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlInput {
  /** `webview.cspSource`: the origin webview resources are served from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  codiconUri?: string;
  title: string;
  nonce?: string;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `connect-src 'none'`,
    `frame-src 'none'`,
    `form-action 'none'`,
    `base-uri 'none'`,
  ].join('; ');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML attribute or text node (the title is a file name: untrusted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function renderPanelHtml(input: PanelHtmlInput): string {
  const nonce = input.nonce ?? createNonce();
  const csp = contentSecurityPolicy(input.cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(input.styleUri)}" nonce="${nonce}">
${input.codiconUri ? `<link rel="stylesheet" href="${escapeHtml(input.codiconUri)}" id="vscode-codicon-stylesheet" nonce="${nonce}">` : ''}
<title>${escapeHtml(input.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script type="module" nonce="${nonce}" src="${escapeHtml(input.scriptUri)}"></script>
</body>
</html>`;
}
