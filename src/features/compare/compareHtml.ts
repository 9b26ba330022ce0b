/**
 * The comparison webview's static body; the document around it, its CSP and nonce are in webviewHtml.ts.
 * Nothing from Spark or Prometheus is written here: the webview fills the page with textContent.
 */
import { webviewDocument, WebviewDocumentInput } from '../../ui/webviewHtml';

export type CompareHtmlInput = WebviewDocumentInput;

export function compareHtml(i: CompareHtmlInput): string {
  return webviewDocument(i, 'Compare runs', `<header class="toolbar">
  <h1>Compare runs</h1>
  <div class="controls">
    <vscode-button id="swap" icon="arrow-swap" secondary>Swap A and B</vscode-button>
    <vscode-button id="copy-md" icon="copy" secondary>Copy Markdown</vscode-button>
    <vscode-button id="copy-csv" icon="copy" secondary>Copy CSV</vscode-button>
    <vscode-button id="save-md" icon="save" secondary>Save Markdown…</vscode-button>
    <vscode-button id="save-csv" icon="save" secondary>Save CSV…</vscode-button>
  </div>
</header>
<div id="status" class="status" role="status"></div>
<section class="runs" aria-label="Runs">
  <div class="run run-a"><span class="tag">A</span><div><div id="a-name" class="run-name"></div><div id="a-meta" class="meta"></div></div></div>
  <div class="run run-b"><span class="tag">B</span><div><div id="b-name" class="run-name"></div><div id="b-meta" class="meta"></div></div></div>
</section>
<p class="legend meta">RIP = (A − B) / A: above 0, B used less. <span class="better">Improvement</span> and <span class="worse">degradation</span> follow whether lower is better for the metric. With several runs a side each figure is the median with its range (min–max), and a difference no larger than the wider range is within noise; with one run a side, changes within 1 % count as the same. Job time runs from the first job submitted to the last one completed; wall time adds start-up and any time the session was held after the work. – : not reported by that run.</p>
<table id="metrics" class="grid">
  <thead><tr><th scope="col">Metric</th><th scope="col" class="num">A</th><th scope="col" class="num">B</th><th scope="col" class="num">Difference</th><th scope="col" class="num">% change</th><th scope="col" class="num">RIP</th><th scope="col">Verdict</th></tr></thead>
  <tbody></tbody>
</table>
<div id="notes" class="notes"></div>
<h2>Memory and GC over elapsed time</h2>
<div id="overlay-note" class="meta"></div>
<div id="overlays" class="overlays"></div>
<h2>Stages by call site</h2>
<table id="stages" class="grid">
  <thead><tr><th scope="col">Call site</th><th scope="col" class="num">Stages A</th><th scope="col" class="num">Duration A</th><th scope="col" class="num">Stages B</th><th scope="col" class="num">Duration B</th><th scope="col" class="num">% change</th></tr></thead>
  <tbody></tbody>
</table>`);
}
