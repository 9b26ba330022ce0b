/**
 * The document every webview panel is served in: one stylesheet, the codicon font and one
 * script, all from dist/webview through asWebviewUri, under a CSP that allows nothing else
 * (default-src 'none', our own styles, fonts and images, scripts by nonce; no inline styles,
 * no eval). Panels give only their static body; nothing from Spark or Prometheus is written
 * here: the webview fills the page with textContent. No `vscode` import, so unit tests check the
 * policy on the real output.
 */

export interface WebviewDocumentInput {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly nonce: string;
  /** asWebviewUri of the panel's script, its stylesheet and codicon.css, as strings. */
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly codiconUri: string;
}

export function webviewCsp(cspSource: string, nonce: string): string {
  return `default-src 'none'; style-src ${cspSource}; font-src ${cspSource}; img-src ${cspSource} data:; script-src 'nonce-${nonce}'`;
}

export const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A nonce: 32 characters from [A-Za-z0-9], from the given random source (crypto in the host). */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(32)].map((b) => chars[b % chars.length]).join('');
}

/** The whole document around a panel's static `body` (our own markup, never Spark's strings). */
export function webviewDocument(i: WebviewDocumentInput, title: string, body: string): string {
  const a = escapeAttr;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(webviewCsp(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(i.codiconUri)}">
<link rel="stylesheet" href="${a(i.styleUri)}">
<title>${a(title)}</title>
</head>
<body>
${body}
<script nonce="${a(i.nonce)}" src="${a(i.scriptUri)}"></script>
</body>
</html>`;
}
