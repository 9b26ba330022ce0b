/**
 * What the two reference Grafana dashboards (/work/shared/reference/grafana/*.json) would ask
 * Prometheus for: their panels' PromQL with template variables substituted for this
 * environment, and the step Grafana would use. Used by rangeQuery.bench.ts.
 *
 * Grafana's step, as modelled here (Grafana 9–11, Prometheus data source, documented so the
 * figures can be judged):
 *  - maxDataPoints = the panel's own setting, else its width in pixels: a 1920 px wide window,
 *    the 24-column grid over 1880 px, minus 16 px of panel padding (w=12 → 924 px, w=24 → 1864).
 *  - interval = Grafana's roundInterval(range / maxDataPoints), raised to the lower limit: the
 *    query's or panel's "min interval", else the data source's scrape interval, whose default in
 *    Grafana's Prometheus data source is 15 s (jsonData.timeInterval unset).
 *  - step = interval × intervalFactor (legacy, default 1), never below range / 11,000.
 *  - $__interval = interval; $__rate_interval = max(interval + 15 s, 4 × 15 s); $__range = the
 *    range. Every visible target is a range query (stat and gauge panels too: Grafana reduces the
 *    series itself unless the target says instant). Targets marked `exemplar: true` also cost a
 *    query_exemplars request. Hidden targets (`hide: true`) are not run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const GRAFANA_DIR = '/work/shared/reference/grafana';
const GRID_PX = 1880;
const PANEL_PADDING_PX = 16;
const DATASOURCE_SCRAPE_S = 15;

export interface GrafanaTarget {
  readonly dashboard: string;
  readonly panelTitle: string;
  readonly panelType: string;
  readonly refId: string;
  /** The expression as written, variables not substituted. */
  readonly expr: string;
  readonly widthPx: number;
  readonly maxDataPoints: number;
  /** The lower limit of the step in seconds (min interval or data source default). */
  readonly minIntervalS: number;
  readonly intervalFactor: number;
  readonly exemplar: boolean;
}

interface Panel {
  type?: string;
  title?: string;
  interval?: string;
  maxDataPoints?: number;
  gridPos?: { w?: number };
  panels?: Panel[];
  targets?: { expr?: string; refId?: string; interval?: string; intervalFactor?: number; hide?: boolean; exemplar?: boolean; instant?: boolean }[];
}

/** Grafana's roundInterval (public/app/core/utils/rangeutil / kbn.round_interval), ms → ms. */
export function roundInterval(ms: number): number {
  const table: [number, number][] = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
    [12500, 10000], [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000], [210000, 120000], [450000, 300000],
    [750000, 600000], [1050000, 900000], [1500000, 1200000], [2700000, 1800000], [5400000, 3600000], [9000000, 7200000],
    [16200000, 10800000], [32400000, 21600000], [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000], [3628800000, 2592000000],
  ];
  for (const [limit, v] of table) if (ms < limit) return v;
  return 31536000000;
}

function durationSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const f: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * f[m[2] ?? 's'];
}

/** Every visible target with an expression, with the panel geometry Grafana derives its step from. */
export function loadTargets(file: string): GrafanaTarget[] {
  const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { panels?: Panel[]; rows?: { panels?: Panel[] }[] };
  const out: GrafanaTarget[] = [];
  const walk = (ps: Panel[] | undefined) => {
    for (const p of ps ?? []) {
      walk(p.panels);
      for (const t of p.targets ?? []) {
        if (t.hide || !t.expr || !t.expr.trim()) continue;
        const widthPx = Math.round(((p.gridPos?.w ?? 12) / 24) * GRID_PX) - PANEL_PADDING_PX;
        out.push({
          dashboard: path.basename(file, '.json'),
          panelTitle: (p.title ?? '').trim(),
          panelType: p.type ?? '',
          refId: t.refId ?? '',
          expr: t.expr,
          widthPx,
          maxDataPoints: p.maxDataPoints ?? widthPx,
          minIntervalS: durationSeconds(t.interval) ?? durationSeconds(p.interval) ?? DATASOURCE_SCRAPE_S,
          intervalFactor: t.intervalFactor ?? 1,
          exemplar: t.exemplar === true,
        });
      }
    }
  };
  walk(d.panels);
  for (const r of d.rows ?? []) walk(r.panels);
  return out;
}

/** Grafana's step in seconds for a target over a range. */
export function grafanaStep(t: Pick<GrafanaTarget, 'maxDataPoints' | 'minIntervalS' | 'intervalFactor'>, rangeSeconds: number): { step: number; intervalS: number } {
  let intervalMs = roundInterval((rangeSeconds * 1000) / Math.max(1, t.maxDataPoints));
  if (t.minIntervalS * 1000 > intervalMs) intervalMs = t.minIntervalS * 1000;
  const intervalS = intervalMs / 1000;
  return { step: Math.max(intervalS * t.intervalFactor, rangeSeconds / 11_000), intervalS };
}

/** Substitutes `$var`, `${var}` and `[[var]]`, longest names first; Grafana's built-ins from the step. */
export function substitute(expr: string, vars: Readonly<Record<string, string>>, intervalS: number, rangeSeconds: number): string {
  const all: Record<string, string> = {
    __range: `${Math.round(rangeSeconds)}s`,
    __range_s: String(Math.round(rangeSeconds)),
    __interval: `${intervalS}s`,
    __rate_interval: `${Math.max(intervalS + DATASOURCE_SCRAPE_S, 4 * DATASOURCE_SCRAPE_S)}s`,
    ...vars,
  };
  let out = expr;
  for (const name of Object.keys(all).sort((a, b) => b.length - a.length)) {
    out = out.split(`\${${name}}`).join(all[name]).split(`[[${name}]]`).join(all[name]).split(`$${name}`).join(all[name]);
  }
  return out;
}
