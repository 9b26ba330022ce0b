/**
 * The dashboard's data from the store's built-in series, for an application Prometheus has
 * nothing for (no Prometheus at all, or one that never scraped its driver): the same panels,
 * each marked `source: 'built-in'`, at most one point per pixel of its canvas. The dashboard
 * feed (dashboardFeed.ts) publishes it in place of Prometheus's; the integration tests compare
 * it with Spark's REST figures.
 */
import { builtinPanel } from '../model/builtinPanels';
import { PANELS } from '../model/promql';
import type { AppSeries } from '../model/series';
import type { DataParams, PanelData, TimeRange } from '../shared/protocol';

/** The series' own resolution: the median time between its points, in seconds. */
function resolutionSeconds(s: AppSeries): number {
  const x = s.points('storageUsed').x;
  const d = x.slice(1).map((t, i) => t - x[i]).sort((a, b) => a - b);
  return d.length > 0 ? Math.round(d[Math.floor(d.length / 2)] / 100) / 10 : 0;
}

/**
 * Every panel over `window` (epoch seconds, as timeWindow gives it) from `series`; undefined
 * when there is no series for the application (the store has not polled its executors).
 */
export function builtinDashboard(
  series: AppSeries | undefined,
  window: { start: number; end: number },
  widthOf: (id: string) => number,
  now: number,
  range: TimeRange,
): DataParams | undefined {
  if (!series || series.length === 0) return undefined;
  const start = window.start * 1000;
  const end = window.end * 1000;
  const step = resolutionSeconds(series);
  const panels: PanelData[] = PANELS.map((spec) => {
    const p = builtinPanel(spec.id, spec.unit, series, start, end, widthOf(spec.id));
    return {
      id: spec.id,
      title: spec.title,
      unit: spec.unit,
      series: p.series,
      yMin: p.yMin,
      yMax: p.yMax,
      ...(p.missing ? { missing: p.missing } : {}),
      warnings: [],
      queries: [],
      stepSeconds: step,
      source: 'built-in',
    };
  });
  // No profile, no scrape: the webview's status names the built-in series and their resolution.
  return { panels, fetchedAt: now, start, end, profiles: [], scrapeIntervalSeconds: 0, range };
}
