/**
 * A comparison as text: the figures as the table shows them, and the Markdown and CSV exports.
 * A figure a run did not report is "–" everywhere, exports included, and has no difference.
 * With several runs a side, a figure is the median with its range (min–max) and a verdict.
 */
import { formatBytes, formatCount, formatDuration } from './format';
import type { ComparisonRow, MetricUnit, RunAggregate, StageComparison, Verdict } from './compare';
import type { Spread } from './runStats';

/** What a figure is when a run did not report it. */
export const NOT_REPORTED = '–';

/** A metric's value as the table shows it: `2m 40s`, `1.5 KiB`, `1,234`; `–` when missing. */
export function formatValue(v: number | undefined, unit: MetricUnit): string {
  if (v === undefined) return NOT_REPORTED;
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'ms') return formatDuration(v);
  return formatCount(v);
}

/** A difference with its sign: `+412 MiB`, `−1m 28s`. */
export function formatSigned(v: number | undefined, unit: MetricUnit): string {
  if (v === undefined) return NOT_REPORTED;
  if (v === 0) return formatValue(0, unit);
  return `${v > 0 ? '+' : '−'}${formatValue(Math.abs(v), unit)}`;
}

/** `−55.0 %`, `+25.0 %`. */
export function formatPercentChange(p: number | undefined): string {
  return p === undefined ? NOT_REPORTED : `${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p).toFixed(1)} %`;
}

/** RIP with two decimals, as the talk reported it. */
export function formatRip(r: number | undefined): string {
  if (r === undefined) return NOT_REPORTED;
  const s = Math.abs(r).toFixed(2);
  return r < 0 && s !== '0.00' ? `−${s}` : s;
}

/** A group's range, `11.8 s–13.0 s`; empty for one run. */
export function formatRange(s: Spread | undefined, unit: MetricUnit): string {
  return s && s.n > 1 ? `${formatValue(s.min, unit)}–${formatValue(s.max, unit)}` : '';
}

/** A figure with its range when there are several runs: `12.3 s (11.8 s–13.0 s)`. */
export function formatWithRange(v: number | undefined, s: Spread | undefined, unit: MetricUnit): string {
  const range = formatRange(s, unit);
  return range ? `${formatValue(v, unit)} (${range})` : formatValue(v, unit);
}

/** The verdict in words, as the table's last column and the exports say it. */
export const VERDICT_WORDS: Readonly<Record<Verdict, string>> = {
  better: 'improvement',
  worse: 'degradation',
  noise: 'within noise',
  same: 'about the same',
  neutral: 'changed',
};

/**
 * Escapes untrusted text (application and stage names) for a Markdown table cell: backslash
 * escapes for Markdown's punctuation, `|` included, HTML-significant `<`/`>`/`&` as entities,
 * and line breaks as spaces so a name cannot end the row.
 */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const runsOf = (rows: readonly ComparisonRow[], side: 'aSpread' | 'bSpread') => Math.max(1, ...rows.map((r) => r[side]?.n ?? 1));

/**
 * The comparison as a Markdown table, both sides named in the header. With several runs a side,
 * each figure is the median with its range, and the header says how many runs.
 */
export function comparisonToMarkdown(a: RunAggregate, b: RunAggregate, rows: readonly ComparisonRow[]): string {
  const na = runsOf(rows, 'aSpread');
  const nb = runsOf(rows, 'bSpread');
  const side = (tag: string, r: RunAggregate, n: number) => `${tag}: ${escapeMarkdownCell(r.name)} (${escapeMarkdownCell(r.appId)})${n > 1 ? `, median (min–max) of ${n} runs` : ''}`;
  const head = `| Metric | ${side('A', a, na)} | ${side('B', b, nb)} | Difference | % change | RIP | Verdict |`;
  const lines = [head, '|---|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${formatWithRange(r.a, r.aSpread, r.unit)} | ${formatWithRange(r.b, r.bSpread, r.unit)} | ${formatSigned(r.difference, r.unit)} | ` +
      `${formatPercentChange(r.percentChange)} | ${formatRip(r.rip)} | ${r.verdict ? VERDICT_WORDS[r.verdict] : NOT_REPORTED} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The RIP table as the talk laid it out: one row per metric, the run without the change, the run
 * with it, and RIP = (without − with) / without, two decimals; medians when there are several runs.
 */
export function ripTableToMarkdown(rows: readonly ComparisonRow[], labels: { readonly a: string; readonly b: string }): string {
  const lines = [`| Metric | ${escapeMarkdownCell(labels.a)} | ${escapeMarkdownCell(labels.b)} | RIP |`, '|---|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.label} | ${formatValue(r.a, r.unit)} | ${formatValue(r.b, r.unit)} | ${formatRip(r.rip)} |`);
  return `${lines.join('\n')}\n`;
}

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Text fields that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) get
 * a leading apostrophe: names come from Spark and are untrusted.
 */
export function csvField(value: string | number | undefined, isText = typeof value === 'string'): string {
  if (value === undefined) return '';
  let s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  if (isText && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number in base units, or "–" when the run did not report it. */
const csvNumber = (v: number | undefined) => (v === undefined ? NOT_REPORTED : csvField(v));

/**
 * The comparison as CSV (CRLF line ends, raw numbers in base units: ms, bytes, counts; "–" for a
 * figure not reported). A and B are the medians; each side's runs, min and max follow.
 */
export function comparisonToCsv(a: RunAggregate, b: RunAggregate, rows: readonly ComparisonRow[]): string {
  const out = [
    ['metric', 'unit', `A: ${a.name} (${a.appId})`, `B: ${b.name} (${b.appId})`, 'difference', 'percent_change', 'rip', 'verdict', 'a_runs', 'a_min', 'a_max', 'b_runs', 'b_min', 'b_max']
      .map((h) => csvField(h, true)).join(','),
  ];
  for (const r of rows) {
    out.push([
      csvField(r.label, true), csvField(r.unit, true), csvNumber(r.a), csvNumber(r.b), csvNumber(r.difference),
      csvNumber(r.percentChange), csvNumber(r.rip), csvField(r.verdict ? VERDICT_WORDS[r.verdict] : NOT_REPORTED, true),
      csvNumber(r.aSpread?.n), csvNumber(r.aSpread?.min), csvNumber(r.aSpread?.max),
      csvNumber(r.bSpread?.n), csvNumber(r.bSpread?.min), csvNumber(r.bSpread?.max),
    ].join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}

/** The stage comparison as a Markdown table: call site, counts and durations side by side. */
export function stagesToMarkdown(c: StageComparison): string {
  const lines = ['| Call site | Stages A | Duration A | Stages B | Duration B |', '|---|---:|---:|---:|---:|'];
  for (const r of [...c.matched, ...c.onlyA, ...c.onlyB]) {
    lines.push(`| ${escapeMarkdownCell(r.callSite)} | ${r.a ? r.a.count : '–'} | ${r.a ? formatDuration(r.a.durationMs) : '–'} | ${r.b ? r.b.count : '–'} | ${r.b ? formatDuration(r.b.durationMs) : '–'} |`);
  }
  return `${lines.join('\n')}\n`;
}
