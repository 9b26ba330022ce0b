/**
 * The dashboard's panels: a card per panel, its chart.js chart (datasets, axes, legend toggles
 * and tooltips) and what it shows instead when there is nothing to draw. Every string from Spark
 * or Prometheus reaches the screen through textContent or chart.js's canvas text, never as HTML.
 */
import { ChartTheme, readChartTheme, tooltipColors } from '../common/chartTheme';
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
import { CUSTOM_PANEL_ID, PanelData, Unit } from '../../src/shared/protocol';
import { fmtTime, formatValue, timeTicks } from './format';

// Only what is drawn is registered: tree-shaking leaves the rest of chart.js out of the bundle.
Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation);

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

export const cards = new Map<string, Card>();
let range: { start: number; end: number } = { start: Date.now() - 900_000, end: Date.now() };

/** The time range every chart shows, as the host's last data set it. */
export function setRange(r: { start: number; end: number }): void {
  range = r;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function makeCard(id: string, title: string, parent: HTMLElement, existingRoot?: HTMLElement): Card {
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

export function widths(): Record<string, number> {
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
        ...tooltipColors(theme),
        callbacks: {
          title: (items: TooltipItem<'line'>[]) => (items[0] ? fmtTime(Number(items[0].parsed.x), true, spanMs() > 36 * 3600_000) : ''),
          label: (item: TooltipItem<'line'>) => `${item.dataset.label ?? ''}: ${item.parsed.y === null ? 'no value' : formatValue(unit, Number(item.parsed.y))}`,
        },
      },
    },
  };
}

export function show(e: HTMLElement, on: boolean): void {
  e.classList.toggle('hidden', !on);
}

/** Draws one panel's data: chart, or the setting that turns its metrics on, or Prometheus's error. */
export function render(c: Card, p: PanelData): void {
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
export function renderInvalid(c: Card): void {
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
export function applyTheme(): void {
  theme = readChartTheme();
  for (const c of cards.values()) {
    if (!c.chart || !c.data) continue;
    const unit = c.data.unit;
    c.chart.options = chartOptions(c, unit);
    c.chart.data.datasets = datasetsOf(c, c.data);
    c.chart.update('none');
  }
}
