/**
 * Chart series on the host: Prometheus samples → points (gaps as null), refreshed by appending
 * only what came since the last refresh, and kept readable at any cluster size (the k largest
 * series and one "all others").
 *
 * A refresh asks Prometheus only for the steps after the last one it has (the range since the
 * last refresh), appends them and drops what slid out of the window: the bytes of a refresh
 * grow with the time since the last one, not with the window.
 */

/** One series as a chart draws it: x in epoch ms, y null for a gap (no sample, NaN, ±Inf). */
export interface ChartSeries {
  readonly label: string;
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
}

/** Samples of one series: t in seconds, v as a number (NaN and ±Infinity kept). */
export interface RawSeries {
  readonly label: string;
  readonly samples: readonly { readonly t: number; readonly v: number }[];
}

/** Labels longer than this are cut on the host (a label is untrusted and unbounded). */
export const MAX_LABEL = 200;
/** A panel draws at most this many series, plus one "all others". */
export const TOP_K = 10;

/** A label cut to MAX_LABEL characters. */
export function cutLabel(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

/**
 * Samples → points, with a null where Prometheus left samples out (a scrape gap, an executor
 * that was not there) so the line breaks instead of bridging it; NaN and ±Inf as null. `after`:
 * the last x (ms) already drawn before these samples, so a gap at the join breaks too.
 */
export function toPoints(samples: RawSeries['samples'], stepSeconds: number, after?: number): { x: number[]; y: (number | null)[] } {
  const x: number[] = [];
  const y: (number | null)[] = [];
  let prev = after !== undefined ? after / 1000 : undefined;
  for (const p of samples) {
    if (prev !== undefined && p.t - prev > stepSeconds * 1.5) {
      x.push((prev + stepSeconds) * 1000);
      y.push(null);
    }
    x.push(p.t * 1000);
    y.push(Number.isFinite(p.v) ? p.v : null);
    prev = p.t;
  }
  return { x, y };
}

/** What a panel keeps between refreshes: its series, the range they cover, and what they answer. */
export interface KeptSeries {
  /** The queries and step that made them: another signature means a full read. */
  readonly signature: string;
  /** Seconds, aligned to the step. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly series: readonly ChartSeries[];
}

/**
 * The range a refresh must ask for: the whole window when nothing is kept (or it answers other
 * queries, another step, or no longer overlaps), else only the steps after the last kept one.
 * Undefined: nothing new to ask (the window has not moved past the last step).
 */
export function rangeToRead(kept: KeptSeries | undefined, signature: string, want: { start: number; end: number; step: number }): { start: number; end: number; incremental: boolean } | undefined {
  if (!kept || kept.signature !== signature || kept.step !== want.step || kept.end < want.start || kept.start > want.start) {
    return { start: want.start, end: want.end, incremental: false };
  }
  const from = kept.end + want.step;
  if (from > want.end) return undefined;
  return { start: from, end: want.end, incremental: true };
}

/**
 * The kept series with the fresh samples appended and everything before the window's start
 * dropped. Series are matched by label; a new one starts where its samples start.
 */
export function appendSeries(kept: readonly ChartSeries[], fresh: readonly RawSeries[], stepSeconds: number, windowStartSeconds: number): ChartSeries[] {
  const byLabel = new Map(kept.map((s) => [s.label, s]));
  const out: ChartSeries[] = [];
  const seen = new Set<string>();
  for (const f of fresh) {
    const old = byLabel.get(f.label);
    seen.add(f.label);
    const more = toPoints(f.samples, stepSeconds, old?.x.at(-1));
    out.push(trimBefore({ label: f.label, x: [...(old?.x ?? []), ...more.x], y: [...(old?.y ?? []), ...more.y] }, windowStartSeconds * 1000));
  }
  // Series with no new sample (an executor that left) keep what is still in the window.
  for (const s of kept) if (!seen.has(s.label)) out.push(trimBefore(s, windowStartSeconds * 1000));
  return out.filter((s) => s.x.length > 0);
}

function trimBefore(s: ChartSeries, startMs: number): ChartSeries {
  let i = 0;
  while (i < s.x.length && s.x[i] < startMs) i++;
  return i === 0 ? s : { label: s.label, x: s.x.slice(i), y: s.y.slice(i) };
}

/**
 * At most `k` series, the ones with the highest peak, and one "all others (N)" summing the rest
 * at each timestamp (a timestamp where none of them has a value is a gap). A panel of 10,000
 * executors stays readable, and the message to the webview stays small.
 */
export function topSeries(series: readonly ChartSeries[], k = TOP_K): ChartSeries[] {
  if (series.length <= k + 1) return [...series];
  const peak = (s: ChartSeries) => s.y.reduce<number>((m, v) => (v !== null && v > m ? v : m), -Infinity);
  const ranked = [...series].sort((a, b) => peak(b) - peak(a) || a.label.localeCompare(b.label, undefined, { numeric: true }));
  const shown = ranked.slice(0, k);
  const rest = ranked.slice(k);
  const sums = new Map<number, number | null>();
  for (const s of rest) {
    s.x.forEach((x, i) => {
      const v = s.y[i];
      const cur = sums.get(x);
      sums.set(x, v === null ? (cur ?? null) : (cur ?? 0) + v);
    });
  }
  const xs = [...sums.keys()].sort((a, b) => a - b);
  const others: ChartSeries = { label: `all others (${rest.length})`, x: xs, y: xs.map((x) => sums.get(x) ?? null) };
  return [...shown.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true })), others];
}

/** Finite bounds of every value drawn, null when there is none: axes never see NaN or Inf. */
export function bounds(series: readonly ChartSeries[]): { yMin: number | null; yMax: number | null } {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    for (const v of s.y) {
      if (v === null) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return Number.isFinite(min) ? { yMin: min, yMax: max } : { yMin: null, yMax: null };
}
