/**
 * The dashboard webview's static body; the document around it, its CSP and nonce are in webviewHtml.ts.
 * Nothing from Spark or Prometheus is written here: the webview fills the page with textContent.
 */
import { webviewDocument, WebviewDocumentInput } from '../../ui/webviewHtml';

export type DashboardHtmlInput = WebviewDocumentInput;

export function dashboardHtml(i: DashboardHtmlInput): string {
  return webviewDocument(i, 'Spark dashboard', `<header class="toolbar">
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
</section>`);
}
