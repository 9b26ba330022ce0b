/**
 * The comparison webview: draws what the host posts and asks for nothing over the network (the
 * CSP forbids it). Application names, ids and call sites come from Spark: they reach the screen
 * through textContent or chart.js's canvas text, never as HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { Chart, Decimation, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type TooltipItem } from 'chart.js';
import { IpcMessage, IpcMessageType, isMessage, parseMessage } from '../../src/shared/protocol';
import {
  COMPARE_TO_WEBVIEW,
  CompareData,
  CompareDataMessage,
  CompareExportMessage,
  CompareReadyMessage,
  CompareRowData,
  CompareStateMessage,
  CompareStatusMessage,
  CompareSwapMessage,
  OverlayData,
} from '../../src/shared/compareProtocol';
import { percentChange } from '../../src/model/compare';
import { formatPercentChange, formatRange, formatRip, formatSigned, formatValue, VERDICT_WORDS } from '../../src/model/compareTables';
import { formatDuration } from '../../src/model/format';
import { axisBytes, axisSeconds, readChartTheme, tooltipColors } from '../common/chartTheme';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation);

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void; setState(state: unknown): void };
const vscode = acquireVsCodeApi();

function send<P>(type: IpcMessageType<P>, params: P): void {
  vscode.postMessage(type.make(params));
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const pad = (n: number) => String(n).padStart(2, '0');
function fmtStart(ms: number | undefined): string {
  if (ms === undefined) return 'start unknown';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const VERDICT_TEXT: Record<string, string> = {
  better: 'improvement (lower is better)',
  worse: 'degradation (lower is better)',
  same: 'about the same (one run a side: within 1 %)',
  neutral: 'changed; neither direction is better for this metric',
  noise: 'within noise: the medians differ by no more than the runs\' own range (min–max)',
};

// ---------------------------------------------------------------------------------------------
// Tables

function runHeader(side: 'a' | 'b', r: CompareData['a']): void {
  $(`${side}-name`).textContent = r.name;
  const bits = [r.appId, `started ${fmtStart(r.startTime)}`, `wall time ${formatDuration(r.wallTimeMs)}`, `job time ${formatDuration(r.jobTimeMs)}`, r.servedBy];
  if (r.runs > 1) bits.push(`median of ${r.runs} runs`);
  $(`${side}-meta`).textContent = bits.join(' · ');
  const role = r.role ? el('div', 'role', r.role) : undefined;
  const box = $(`${side}-meta`).parentElement!;
  box.querySelector('.role')?.remove();
  if (role) box.append(role);
}

function cell(text: string, cls?: string): HTMLTableCellElement {
  return el('td', cls, text);
}

/** A side's figure; with several runs the median, and its range under it. */
function figure(value: number | undefined, spread: CompareRowData['aSpread'], unit: CompareRowData['unit']): HTMLTableCellElement {
  const td = cell(formatValue(value, unit), 'num');
  const range = formatRange(spread, unit);
  if (range) {
    td.append(el('div', 'range', range));
    td.title = `median of ${spread!.n} runs; range ${range}`;
  }
  return td;
}

function metricRow(r: CompareRowData): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.metric = r.metric;
  if (r.verdict) tr.dataset.verdict = r.verdict;
  const th = el('th', undefined, r.label);
  th.scope = 'row';
  const mark = r.verdict === 'better' ? ' ▼' : r.verdict === 'worse' ? ' ▲' : '';
  const v = r.verdict ? ` ${r.verdict}` : '';
  const diff = cell(`${formatSigned(r.difference, r.unit)}${mark}`, `num${v}`);
  const pct = cell(formatPercentChange(r.percentChange), `num${v}`);
  const rip = cell(formatRip(r.rip), `num${v}`);
  const verdict = cell(r.verdict ? VERDICT_WORDS[r.verdict] : '–', `verdict${v}`);
  if (r.verdict) for (const c of [diff, pct, rip, verdict]) c.title = VERDICT_TEXT[r.verdict];
  tr.append(th, figure(r.a, r.aSpread, r.unit), figure(r.b, r.bSpread, r.unit), diff, pct, rip, verdict);
  return tr;
}

function stageRows(d: CompareData): HTMLTableRowElement[] {
  if (d.stages.length === 0) {
    const tr = el('tr');
    const td = cell('No stages in either run.', 'empty');
    td.colSpan = 6;
    tr.append(td);
    return [tr];
  }
  return d.stages.map((s) => {
    const tr = el('tr');
    if (!s.a || !s.b) tr.classList.add('unmatched');
    const th = el('th', undefined, s.callSite);
    th.scope = 'row';
    if (!s.placeable) {
      th.classList.add('unplaceable');
      th.title = 'A JVM frame, not a source line: unrelated stages share this name';
    }
    const p = s.a && s.b ? percentChange(s.a.durationMs, s.b.durationMs) : undefined;
    const verdict = p === undefined ? '' : Math.abs(p) <= 1 ? ' same' : p < 0 ? ' better' : ' worse';
    tr.append(
      th,
      cell(s.a ? String(s.a.count) : '–', 'num'),
      cell(s.a ? formatDuration(s.a.durationMs) : '–', 'num'),
      cell(s.b ? String(s.b.count) : '–', 'num'),
      cell(s.b ? formatDuration(s.b.durationMs) : '–', 'num'),
      cell(formatPercentChange(p), `num${verdict}`),
    );
    return tr;
  });
}

// ---------------------------------------------------------------------------------------------
// Overlaid charts

type Point = { x: number; y: number | null };

const ELAPSED_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
/** A round tick step (at most 8 ticks) and the axis end on a tick, so labels never crowd. */
function elapsedAxis(maxX: number): { step: number; max: number } {
  const span = Math.max(1, maxX);
  const step = ELAPSED_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 3600) * 3600;
  return { step, max: Math.ceil(span / step) * step };
}
/** `0 s`, `45 s`, `1m 30s`, `2h 5m`. */
function elapsed(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${Math.round(s % 60)}s` : ''}`;
  return `${Math.floor(s / 3600)}h${s % 3600 ? ` ${Math.round((s % 3600) / 60)}m` : ''}`;
}
const charts = new Map<string, Chart<'line', Point[]>>();
let lastData: CompareData | undefined;

function points(s: OverlayData['a']): Point[] {
  const out: Point[] = new Array(s.x.length);
  for (let i = 0; i < s.x.length; i++) out[i] = { x: s.x[i], y: s.y[i] };
  return out;
}

function drawOverlays(d: CompareData): void {
  const box = $('overlays');
  for (const c of charts.values()) c.destroy();
  charts.clear();
  box.replaceChildren();
  $('overlay-note').textContent = d.overlayNote ?? '';
  const theme = readChartTheme();
  for (const o of d.overlays) {
    const card = el('section', 'panel');
    card.dataset.overlay = o.id;
    card.append(el('h3', undefined, o.title));
    // Which source the overlay shows: Prometheus, or the extension's built-in series.
    card.append(el('div', 'source', o.source === 'built-in' ? 'built-in series (REST figures polled by the extension)' : 'Prometheus'));
    const chartBox = el('div', 'chart-box');
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${o.title}: A and B over elapsed time`);
    chartBox.append(canvas);
    card.append(chartBox);
    box.append(card);
    const fmt = o.unit === 'bytes' ? axisBytes : axisSeconds;
    const axis = elapsedAxis(o.maxX);
    const dataset = (label: string, data: Point[], colour: string, dash: number[]) => ({
      label, data, borderColor: colour, backgroundColor: colour, borderWidth: 1.5, borderDash: dash,
      pointRadius: data.length === 1 ? 2 : 0, pointHoverRadius: 3, spanGaps: false,
    });
    const chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: {
        datasets: [
          dataset(`A: ${d.a.name}`, points(o.a), theme.series[0], []),
          dataset(`B: ${d.b.name}`, points(o.b), theme.series[1], [6, 3]),
        ],
      },
      options: {
        parsing: false,
        normalized: true,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: axis.max,
            title: { display: true, text: 'seconds since the run started', color: theme.muted },
            grid: { color: theme.grid },
            border: { color: theme.grid },
            ticks: { color: theme.muted, maxRotation: 0, stepSize: axis.step, callback: (v) => elapsed(Number(v)) },
          },
          y: {
            type: 'linear',
            beginAtZero: true,
            grid: { color: theme.grid },
            border: { color: theme.grid },
            ticks: { color: theme.muted, maxTicksLimit: 6, callback: (v) => fmt(Number(v)) },
          },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          legend: { display: true, position: 'bottom', labels: { color: theme.fg, boxWidth: 12, boxHeight: 2, padding: 8 } },
          tooltip: {
            ...tooltipColors(theme),
            callbacks: {
              title: (items: TooltipItem<'line'>[]) => (items[0] ? `+${elapsed(Number(items[0].parsed.x))}` : ''),
              label: (item: TooltipItem<'line'>) => `${item.dataset.label ?? ''}: ${item.parsed.y === null ? 'no value' : fmt(Number(item.parsed.y))}`,
            },
          },
        },
      },
    });
    charts.set(o.id, chart);
  }
}

// ---------------------------------------------------------------------------------------------
// Page

function onData(d: CompareData): void {
  lastData = d;
  runHeader('a', d.a);
  runHeader('b', d.b);
  $('metrics').querySelector('tbody')!.replaceChildren(...d.rows.map(metricRow));
  $('stages').querySelector('tbody')!.replaceChildren(...stageRows(d));
  const notes = $('notes');
  notes.replaceChildren(...d.notes.map((n) => el('div', 'note', n)));
  drawOverlays(d);
  document.body.classList.add('loaded');
}

function onStatus(kind: 'busy' | 'info' | 'error', text: string): void {
  const s = $('status');
  s.replaceChildren();
  s.className = `status ${kind}`;
  if (!text) return;
  const icon = kind === 'busy' ? 'codicon-loading codicon-modifier-spin' : kind === 'error' ? 'codicon-error' : 'codicon-info';
  s.append(el('span', `codicon ${icon}`), el('span', undefined, ` ${text}`));
}

window.addEventListener('message', (ev: MessageEvent) => {
  // Allow-list: anything that is not one of the host's declared messages is ignored.
  const msg: IpcMessage | undefined = parseMessage(COMPARE_TO_WEBVIEW, ev.data);
  if (!msg) return;
  if (isMessage(CompareDataMessage, msg)) onData(msg.params);
  else if (isMessage(CompareStatusMessage, msg)) onStatus(msg.params.kind, msg.params.text);
  // Which runs this is: VS Code keeps it and hands it to the host's serializer after a reload.
  else if (isMessage(CompareStateMessage, msg)) vscode.setState(msg.params);
});

$('swap').addEventListener('click', () => send(CompareSwapMessage, {}));
$('copy-md').addEventListener('click', () => send(CompareExportMessage, { format: 'markdown', target: 'clipboard' }));
$('copy-csv').addEventListener('click', () => send(CompareExportMessage, { format: 'csv', target: 'clipboard' }));
$('save-md').addEventListener('click', () => send(CompareExportMessage, { format: 'markdown', target: 'file' }));
$('save-csv').addEventListener('click', () => send(CompareExportMessage, { format: 'csv', target: 'file' }));

// VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class on a theme change.
new MutationObserver(() => {
  if (lastData) drawOverlays(lastData);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

send(CompareReadyMessage, {});
