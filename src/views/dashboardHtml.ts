/**
 * The dashboard webview's HTML: a static skeleton, one stylesheet and one script, all served
 * from dist/webview through asWebviewUri, under a CSP that allows nothing else. Nothing from
 * Spark or Prometheus is written here: the webview fills the page with textContent.
 * No `vscode` import, so unit tests check the policy on the real output.
 */

export interface DashboardHtmlInput {
  /** webview.cspSource */
  readonly cspSource: string;
  readonly nonce: string;
  /** asWebviewUri of dist/webview/charts.js, charts.css and codicon.css, as strings. */
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly codiconUri: string;
}

/** The policy, exactly as DESIGN.md asks: nothing by default, our own styles/fonts/images, scripts by nonce. */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return `default-src 'none'; style-src ${cspSource}; font-src ${cspSource}; img-src ${cspSource} data:; script-src 'nonce-${nonce}'`;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A nonce: 32 characters from [A-Za-z0-9], from the given random source (crypto in the host). */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(32)].map((b) => chars[b % chars.length]).join('');
}

export function dashboardHtml(i: DashboardHtmlInput): string {
  const a = escapeAttr;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(dashboardCsp(i.cspSource, i.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(i.codiconUri)}">
<link rel="stylesheet" href="${a(i.styleUri)}">
<title>Spark dashboard</title>
</head>
<body>
<header class="toolbar">
  <div class="heading">
    <h1 id="app-name">Spark dashboard</h1>
    <span id="app-meta" class="meta"></span>
  </div>
  <div class="controls">
    <vscode-single-select id="range" aria-label="Time range">
      <vscode-option value="5m">Last 5 minutes</vscode-option>
      <vscode-option value="15m">Last 15 minutes</vscode-option>
      <vscode-option value="1h">Last hour</vscode-option>
      <vscode-option value="6h">Last 6 hours</vscode-option>
      <vscode-option value="lifetime">Application lifetime</vscode-option>
    </vscode-single-select>
    <vscode-button id="refresh" icon="refresh" secondary aria-label="Refresh">Refresh</vscode-button>
  </div>
</header>
<div id="status" class="status" role="status"></div>
<main id="panels" class="panels"></main>
<section id="custom" class="panel custom" aria-label="Custom PromQL">
  <div class="panel-head"><h2>Custom PromQL</h2><a id="custom-link" class="link" href="#" role="button">Open in Prometheus</a></div>
  <form id="custom-form" class="custom-form">
    <vscode-textfield id="custom-query" placeholder="PromQL, e.g. sum by (executor_id) (metrics_executor_memoryUsed_bytes)" aria-label="PromQL query"></vscode-textfield>
    <vscode-button id="custom-run" type="submit">Run</vscode-button>
  </form>
  <div id="custom-body" class="panel-body"></div>
</section>
<script nonce="${a(i.nonce)}" src="${a(i.scriptUri)}"></script>
</body>
</html>`;
}
