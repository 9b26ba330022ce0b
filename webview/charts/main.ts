/**
 * The dashboard webview: draws what the host posts, asks for nothing over the network (the CSP
 * forbids it). Every string from Spark or Prometheus (series labels, error messages, warnings)
 * reaches the screen through textContent or chart.js's canvas text, never as HTML.
 */
import { ChartTheme, readChartTheme } from '../common/chartTheme';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Scale,
  type TooltipItem,
} from 'chart.js';
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
  Unit,
} from '../../src/shared/protocol';
import { PANELS } from '../../src/model/promql';

// Only what is drawn is registered: tree-shaking leaves the rest of chart.js out of the bundle.
Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation);

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
// Formatting: units on axes and in tooltips

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
function fmtBytes(v: number): string {
  const a = Math.abs(v);
  let i = 0;
  while (a >= 1024 ** (i + 1) && i < BIN.length - 1) i++;
  const n = v / 1024 ** i;
  return `${trim(n)} ${BIN[i]}`;
}
function trim(n: number): string {
  const a = Math.abs(n);
  return a === 0 ? '0' : a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1).replace(/\.0$/, '') : n.toFixed(2).replace(/\.?0+$/, '');
}
function fmtSi(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}
function fmtSeconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1) return `${trim(v * 1000)} ms`;
  if (a < 120) return `${trim(v)} s`;
  if (a < 7200) return `${trim(v / 60)} min`;
  return `${trim(v / 3600)} h`;
}
export function formatValue(unit: Unit, v: number): string {
  switch (unit) {
    case 'bytes': return fmtBytes(v);
    case 'bytesPerSecond': return `${fmtBytes(v)}/s`;
    case 'seconds': return fmtSeconds(v);
    case 'percent': return `${trim(v)} %`;
    case 'perSecond': return `${fmtSi(v)}/s`;
    case 'cores': return `${fmtSi(v)} cores`;
    default: return fmtSi(v);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
function fmtTime(ms: number, withSeconds: boolean, withDate: boolean): string {
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}` : t;
}

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
/** Time ticks at round wall-clock times (a linear scale on epoch ms, no date adapter). */
function timeTicks(min: number, max: number, maxCount: number): { value: number }[] {
  const span = (max - min) / 1000;
  const step = (TICK_STEPS_S.find((s) => span / s <= maxCount) ?? Math.ceil(span / maxCount / 86400) * 86400) * 1000;
  // Round in local time: offset by the zone so 10-minute ticks land on :00, :10, …
  const off = new Date(min).getTimezoneOffset() * 60_000;
  const first = Math.ceil((min - off) / step) * step + off;
  const out: { value: number }[] = [];
  for (let t = first; t <= max && out.length < 200; t += step) out.push({ value: t });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Theme: every colour comes from a --vscode-* variable, read again when the theme changes

let theme: ChartTheme = readChartTheme();

// ---------------------------------------------------------------------------------------------
// Panels

type Point = { x: number; y: number | null };

interface Card {
  readonly id: string;
  readonly root: HTMLElement;
  readonly title: HTMLElement;
  readonly body: HTMLElement;
  readonly canvasBox: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly message: HTMLElement;
  readonly note: HTMLElement;
  /** Which source the panel shows (Prometheus or the built-in series). */
  readonly source: HTMLElement;
  chart?: Chart<'line', Point[]>;
  data?: PanelData;
  hidden: Set<string>;
}

const cards = new Map<string, Card>();
let range: { start: number; end: number } = { start: Date.now() - 900_000, end: Date.now() };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function makeCard(id: string, title: string, parent: HTMLElement, existingRoot?: HTMLElement): Card {
  const root = existingRoot ?? el('section', 'panel');
  root.dataset.panel = id;
  const head = existingRoot?.querySelector<HTMLElement>('.panel-head') ?? el('div', 'panel-head');
  const h = existingRoot?.querySelector<HTMLElement>('h2') ?? el('h2', undefined, title);
  if (!existingRoot) {
    head.append(h);
    root.append(head);
  }
  const body = existingRoot?.querySelector<HTMLElement>('.panel-body') ?? el('div', 'panel-body');
  const canvasBox = el('div', 'chart-box');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title);
  canvasBox.append(canvas);
  const message = el('div', 'panel-message');
  const note = el('div', 'panel-note');
  const source = el('div', 'panel-source');
  body.append(message, canvasBox, note, source);
  if (!existingRoot) {
    root.append(body);
    parent.append(root);
  }
  const card: Card = { id, root, title: h, body, canvasBox, canvas, message, note, source, hidden: new Set() };
  cards.set(id, card);
  return card;
}

function plotWidth(c: Card): number {
  const w = c.chart?.chartArea ? c.chart.chartArea.right - c.chart.chartArea.left : c.canvasBox.clientWidth - 64;
  return Math.max(50, Math.round(w));
}

function widths(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of cards.values()) out[c.id] = plotWidth(c);
  return out;
}

function colourOf(i: number): string {
  return theme.series[i % theme.series.length];
}

/** Series of one executor (or pod) share a colour: "1 used" and "1 max" are told apart by the dash. */
function colourKey(label: string): string {
  return label.replace(/ (used|max|in|out)$/, '');
}

function datasetsOf(c: Card, p: PanelData): ChartDataset<'line', Point[]>[] {
  const keys = [...new Set(p.series.map((s) => colourKey(s.label)))];
  return p.series.map((s) => {
    const i = keys.indexOf(colourKey(s.label));
    const data: Point[] = new Array(s.x.length);
    for (let k = 0; k < s.x.length; k++) data[k] = { x: s.x[k], y: s.y[k] };
    // Past the palette, a dash pattern keeps series apart; "max" lines are dashed as limits.
    const dashed = / (max|out)$/.test(s.label) || i >= theme.series.length;
    const colour = colourOf(i);
    return {
      label: s.label,
      data,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 1.5,
      borderDash: dashed ? [6, 3] : [],
      pointRadius: s.x.length === 1 ? 2 : 0,
      pointHoverRadius: 3,
      spanGaps: false,
      hidden: c.hidden.has(s.label),
    };
  });
}

function chartOptions(c: Card, unit: Unit): NonNullable<Chart<'line', Point[]>['options']> {
  const spanMs = () => range.end - range.start;
  return {
    parsing: false,
    normalized: true,
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    spanGaps: false,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: {
        type: 'linear',
        min: range.start,
        max: range.end,
        grid: { color: theme.grid },
        border: { color: theme.grid },
        ticks: {
          color: theme.muted,
          maxRotation: 0,
          autoSkip: false,
          callback: (v) => fmtTime(Number(v), spanMs() <= 15 * 60_000, spanMs() > 36 * 3600_000),
        },
        afterBuildTicks: (scale: Scale) => {
          scale.ticks = timeTicks(Number(scale.min), Number(scale.max), Math.max(2, Math.floor(scale.width / 90)));
        },
      },
      y: {
        type: 'linear',
        beginAtZero: c.id !== CUSTOM_PANEL_ID,
        grid: { color: theme.grid },
        border: { color: theme.grid },
        ticks: { color: theme.muted, maxTicksLimit: 6, callback: (v) => formatValue(unit, Number(v)) },
      },
    },
    plugins: {
      decimation: { enabled: true, algorithm: 'min-max' },
      legend: {
        display: true,
        position: 'bottom',
        labels: { color: theme.fg, boxWidth: 12, boxHeight: 2, padding: 8 },
        onClick: (_e, item, legend) => {
          // chart.js's own toggle, remembered across refreshes.
          const ci = legend.chart;
          const i = item.datasetIndex ?? 0;
          const label = String(ci.data.datasets[i]?.label ?? '');
          const visible = ci.isDatasetVisible(i);
          ci.setDatasetVisibility(i, !visible);
          if (visible) c.hidden.add(label);
          else c.hidden.delete(label);
          ci.update();
        },
      },
      tooltip: {
        backgroundColor: theme.tooltipBg,
        titleColor: theme.tooltipFg,
        bodyColor: theme.tooltipFg,
        borderColor: theme.tooltipBorder,
        borderWidth: 1,
        callbacks: {
          title: (items: TooltipItem<'line'>[]) => (items[0] ? fmtTime(Number(items[0].parsed.x), true, spanMs() > 36 * 3600_000) : ''),
          label: (item: TooltipItem<'line'>) => `${item.dataset.label ?? ''}: ${item.parsed.y === null ? 'no value' : formatValue(unit, Number(item.parsed.y))}`,
        },
      },
    },
  };
}

function show(e: HTMLElement, on: boolean): void {
  e.classList.toggle('hidden', !on);
}

/** Draws one panel's data: chart, or the setting that turns its metrics on, or Prometheus's error. */
function render(c: Card, p: PanelData): void {
  c.data = p;
  c.title.textContent = p.title;
  c.root.classList.toggle('missing', !!p.missing);
  c.message.replaceChildren();
  c.message.className = 'panel-message';
  if (p.error) {
    c.message.classList.add('error');
    c.message.append(el('span', 'codicon codicon-error'), el('strong', undefined, ` ${p.error.errorType}: `), el('span', undefined, p.error.message));
  } else if (p.missing && p.source === 'built-in') {
    c.message.classList.add('info');
    c.message.append(el('span', 'codicon codicon-info'), el('span', undefined, ' Not in the built-in series; needs: '), el('code', undefined, p.missing));
  } else if (p.missing) {
    c.message.classList.add('info');
    c.message.append(el('span', 'codicon codicon-info'), el('span', undefined, ' No data for this application. Turn on: '), el('code', undefined, p.missing));
  } else if (p.series.length === 0 && p.source === 'built-in') {
    c.message.classList.add('info');
    c.message.append(el('span', undefined, 'Not reported by this application yet (–).'));
  } else if (p.series.length === 0) {
    c.message.classList.add('info');
    c.message.append(el('span', undefined, 'The query returned no series.'));
  }
  for (const w of p.warnings) c.message.append(el('div', 'warning', `⚠ ${w}`));
  show(c.message, c.message.childNodes.length > 0);
  c.note.textContent = p.note ?? '';
  show(c.note, !!p.note);
  c.source.textContent = p.source === 'built-in' ? 'Source: built-in series (REST figures polled by the extension)' : 'Source: Prometheus';
  show(c.source, true);
  c.root.dataset.source = p.source ?? 'prometheus';
  c.root.title = p.queries.join('\n');

  const drawable = !p.missing && !p.error && p.series.length > 0;
  show(c.canvasBox, drawable);
  if (!drawable) {
    c.chart?.destroy();
    c.chart = undefined;
    return;
  }
  const datasets = datasetsOf(c, p);
  if (!c.chart) {
    c.chart = new Chart<'line', Point[]>(c.canvas, { type: 'line', data: { datasets }, options: chartOptions(c, p.unit) });
  } else {
    c.chart.data.datasets = datasets;
    const x = c.chart.options.scales?.x;
    if (x) {
      x.min = range.start;
      x.max = range.end;
    }
    c.chart.update('none');
  }
}

/** A panel whose data failed the protocol's check: an error in that panel only, its last chart gone. */
function renderInvalid(c: Card): void {
  c.data = undefined;
  c.chart?.destroy();
  c.chart = undefined;
  show(c.canvasBox, false);
  c.message.replaceChildren(el('span', 'codicon codicon-error'), el('span', undefined, ' This panel\'s data could not be shown: it did not pass the message check (too many series, a label too long, or a value of the wrong type).'));
  c.message.className = 'panel-message error';
  show(c.message, true);
  show(c.note, false);
  // Whose data it was is not known either: the panel names no source.
  show(c.source, false);
  delete c.root.dataset.source;
}

/** Re-reads the theme's colours into every chart (body class changes on a theme switch). */
function applyTheme(): void {
  theme = readChartTheme();
  for (const c of cards.values()) {
    if (!c.chart || !c.data) continue;
    const unit = c.data.unit;
    c.chart.options = chartOptions(c, unit);
    c.chart.data.datasets = datasetsOf(c, c.data);
    c.chart.update('none');
  }
}

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
  range = { start: d.start, end: d.end };
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
