/**
 * The dashboard webview: draws what the host posts, asks for nothing over the network (the CSP
 * forbids it). Every string from Spark or Prometheus (series labels, error messages, warnings)
 * reaches the screen through textContent or chart.js's canvas text, never as HTML.
 *
 * This file is the page: the host's messages, the controls and the layout; panels.ts draws the
 * panels, format.ts writes units and times.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  CUSTOM_PANEL_ID,
  CustomResultMessage,
  DASHBOARD_TO_WEBVIEW,
  DashboardState,
  DataMessage,
  DataParams,
  InitMessage,
  IpcMessage,
  IpcMessageType,
  isDashboardState,
  isMessage,
  isPanelData,
  OpenInPrometheusMessage,
  PanelData,
  parseMessage,
  ReadyMessage,
  RefreshMessage,
  ResizeMessage,
  RunQueryMessage,
  SetRangeMessage,
  TIME_RANGES,
  TimeRange,
} from '../../src/shared/protocol';
import { PANELS } from '../../src/model/promql';
import { fmtTime } from './format';
import { applyTheme, cards, el, makeCard, render, renderInvalid, setRange, widths } from './panels';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
};
const vscode = acquireVsCodeApi();

function send<P>(type: IpcMessageType<P>, params: P): void {
  vscode.postMessage(type.make(params));
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---------------------------------------------------------------------------------------------
// Page

let state: DashboardState | undefined = isDashboardState(vscode.getState()) ? (vscode.getState() as DashboardState) : undefined;
const rangeSelect = $('range') as HTMLElement & { value: string };
const queryField = $('custom-query') as HTMLElement & { value: string };
const status = $('status');

function saveState(patch: Partial<DashboardState>): void {
  if (!state) return;
  state = { ...state, ...patch };
  vscode.setState(state);
}

function setStatus(parts: string[], problem?: string): void {
  status.replaceChildren();
  if (problem) {
    const p = el('div', 'problem');
    p.append(el('span', 'codicon codicon-warning'), el('span', undefined, ` ${problem}`));
    status.append(p);
  }
  status.append(el('span', 'meta', parts.filter(Boolean).join(' · ')));
}

let initialised = false;
function onInit(p: typeof InitMessage extends IpcMessageType<infer P> ? P : never): void {
  state = p.state;
  vscode.setState(state);
  $('app-name').textContent = p.appName || p.appId;
  // Not listed (problem): neither running nor finished is known.
  $('app-meta').textContent = p.problem ? p.appId : `${p.appId}${p.running ? ' · running' : ' · finished'}`;
  // The controls are set from the host's state once; after that the person's edits win (the
  // host learns them by message, so both stay equal).
  if (!initialised) {
    initialised = true;
    rangeSelect.value = p.state.range;
    queryField.value = p.state.customQuery;
  }
  if (p.problem) setStatus([], p.problem);
  else if (!lastData) setStatus(['Reading Prometheus…']); // the application is listed now: data follows
}

const RANGE_TEXT: Record<TimeRange, string> = { '5m': 'last 5 minutes', '15m': 'last 15 minutes', '1h': 'last hour', '6h': 'last 6 hours', lifetime: 'application lifetime' };

let lastData: DataParams | undefined;
function onData(d: DataParams): void {
  if (d.panels.length === 0 && d.problem) {
    // Prometheus failed as a whole: the last good charts stay, marked stale with their age.
    const age = lastData ? ` (showing data from ${fmtTime(lastData.fetchedAt, true, false)})` : '';
    setStatus([], `${d.problem}${age}`);
    return;
  }
  lastData = d;
  setRange({ start: d.start, end: d.end });
  for (const p of d.panels) {
    const c = cards.get(p.id) ?? makeCard(p.id, typeof p.title === 'string' ? p.title : p.id, $('panels'));
    // Each panel is checked on its own: one that fails shows why, the others are drawn.
    if (isPanelData(p)) render(c, p);
    else renderInvalid(c);
  }
  const steps = [...new Set(d.panels.filter((p) => !p.missing).map((p) => p.stepSeconds))];
  // Only panels that passed their check say where their data comes from.
  const valid = d.panels.filter(isPanelData);
  if (valid.length > 0 && valid.every((p) => p.source === 'built-in')) {
    const every = steps.filter((s) => s > 0);
    setStatus(
      ['built-in series: no Prometheus has this application', every.length ? `a point every ${every.join('/')} s` : 'first point', `updated ${fmtTime(d.fetchedAt, true, false)}`, RANGE_TEXT[d.range]],
      d.problem,
    );
    return;
  }
  setStatus(
    [
      d.profiles.length ? `profile ${d.profiles.join(', ')}` : 'no Spark metrics found for this application',
      `scrape ${d.scrapeIntervalSeconds} s`,
      steps.length ? `step ${steps.join('/')} s` : '',
      `updated ${fmtTime(d.fetchedAt, true, false)}`,
      RANGE_TEXT[d.range],
    ],
    d.problem,
  );
}

function onCustom(panel: PanelData, query: string): void {
  const c = cards.get(CUSTOM_PANEL_ID)!;
  if (state && state.customQuery !== query) return; // an older answer
  if (!isPanelData(panel)) return renderInvalid(c);
  render(c, panel);
  c.title.textContent = 'Custom PromQL';
}

window.addEventListener('message', (ev: MessageEvent) => {
  // Allow-list: anything that is not one of the host's declared messages is ignored.
  const msg: IpcMessage | undefined = parseMessage(DASHBOARD_TO_WEBVIEW, ev.data);
  if (!msg) return;
  if (isMessage(InitMessage, msg)) onInit(msg.params);
  else if (isMessage(DataMessage, msg)) onData(msg.params);
  else if (isMessage(CustomResultMessage, msg)) onCustom(msg.params.panel, msg.params.query);
});

// Controls
rangeSelect.addEventListener('change', () => {
  const r = rangeSelect.value as TimeRange;
  if (!(TIME_RANGES as readonly string[]).includes(r)) return;
  saveState({ range: r });
  send(SetRangeMessage, { range: r });
});
$('refresh').addEventListener('click', () => send(RefreshMessage, {}));
$('custom-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const query = String(queryField.value ?? '').slice(0, 10_000);
  saveState({ customQuery: query.trim() });
  send(RunQueryMessage, { query });
});
$('custom-link').addEventListener('click', (e) => {
  e.preventDefault();
  const query = String(queryField.value ?? '').trim();
  if (query) send(OpenInPrometheusMessage, { query: query.slice(0, 10_000) });
});

// Layout: one card per panel of the model, the custom panel last; then tell the host the widths.
for (const p of PANELS) makeCard(p.id, p.title, $('panels'));
makeCard(CUSTOM_PANEL_ID, 'Custom PromQL', $('panels'), $('custom'));
if (state) {
  rangeSelect.value = state.range;
  queryField.value = state.customQuery;
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
new ResizeObserver(() => {
  if (resizeTimer) clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => send(ResizeMessage, { widths: widths() }), 300);
}).observe($('panels'));

// VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class on a theme change.
new MutationObserver(() => applyTheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

send(ReadyMessage, { widths: widths() });
