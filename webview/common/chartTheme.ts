/**
 * Chart colours from the --vscode-* theme variables, read again when the theme changes, and the
 * axis formatting of bytes and seconds: the dashboard's (webview/charts/main.ts) choices, shared
 * so the comparison's overlaid charts look the same.
 */

export interface ChartTheme {
  readonly fg: string;
  readonly muted: string;
  readonly grid: string;
  readonly tooltipBg: string;
  readonly tooltipFg: string;
  readonly tooltipBorder: string;
  readonly series: readonly string[];
}

export const SERIES_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
  '--vscode-terminal-ansiCyan',
  '--vscode-terminal-ansiMagenta',
];
const FALLBACKS = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700', '#29b8db', '#bc3fbc'];

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function readChartTheme(): ChartTheme {
  const fg = cssVar('--vscode-foreground', '#cccccc');
  return {
    fg,
    muted: cssVar('--vscode-descriptionForeground', fg),
    grid: cssVar('--vscode-editorIndentGuide-background1', cssVar('--vscode-panel-border', 'rgba(128,128,128,0.35)')),
    tooltipBg: cssVar('--vscode-editorHoverWidget-background', cssVar('--vscode-editor-background', '#252526')),
    tooltipFg: cssVar('--vscode-editorHoverWidget-foreground', fg),
    tooltipBorder: cssVar('--vscode-editorHoverWidget-border', cssVar('--vscode-contrastBorder', fg)),
    series: SERIES_VARS.map((v, i) => cssVar(v, FALLBACKS[i])),
  };
}

/** Chart.js tooltip colours in the editor's hover-widget colours (both webviews). */
export function tooltipColors(t: ChartTheme) {
  return { backgroundColor: t.tooltipBg, titleColor: t.tooltipFg, bodyColor: t.tooltipFg, borderColor: t.tooltipBorder, borderWidth: 1 };
}

/** A number with at most three significant digits, trailing zeros dropped. */
export function trim(n: number): string {
  const a = Math.abs(n);
  return a === 0 ? '0' : a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1).replace(/\.0$/, '') : n.toFixed(2).replace(/\.?0+$/, '');
}

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
/** Axis bytes: `1.5 GiB`. */
export function axisBytes(v: number): string {
  const a = Math.abs(v);
  let i = 0;
  while (a >= 1024 ** (i + 1) && i < BIN.length - 1) i++;
  return `${trim(v / 1024 ** i)} ${BIN[i]}`;
}

/** Axis seconds: `450 ms`, `12 s`, `3.5 min`. */
export function axisSeconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1) return `${trim(v * 1000)} ms`;
  if (a < 120) return `${trim(v)} s`;
  if (a < 7200) return `${trim(v / 60)} min`;
  return `${trim(v / 3600)} h`;
}
