/**
 * Two runs' memory and GC series from Prometheus on one elapsed-time axis (the comparison's
 * overlays), read through the Prometheus of the runs' group.
 */
import type { PrometheusClient } from '../sources/prometheus';
import type { Application } from '../model/types';
import { OVERLAYS } from '../model/compareView';
import { alignRange, chooseStep } from '../model/promql';
import { toElapsed } from '../model/compare';
import type { OverlayData } from '../shared/compareProtocol';
import type { RunData } from './reads';
import type { AppSeries } from '../model/series';
import { builtinOverlay } from '../model/builtinPanels';

/** Titles of the overlays from built-in series where their figure differs from Prometheus's sum. */
const BUILTIN_TITLES: Record<string, string> = { jvmHeap: 'JVM heap (peak, largest executor)' };

/**
 * Both runs' memory and GC series from the store's built-in series (the REST figures it polled
 * while each ran): the overlays when Prometheus has none. Only charts both runs have.
 */
export function builtinOverlays(a: RunData, b: RunData, sa: AppSeries | undefined, sb: AppSeries | undefined): { overlays: OverlayData[]; note?: string } {
  if (!sa || !sb || a.app.startTime === undefined || b.app.startTime === undefined) {
    return { overlays: [], note: 'No series for both runs: neither Prometheus nor the built-in series (recorded while the extension polled a run) have them.' };
  }
  const overlays: OverlayData[] = [];
  for (const spec of OVERLAYS) {
    const pa = builtinOverlay(spec.id, sa);
    const pb = builtinOverlay(spec.id, sb);
    if (!pa || !pb) continue;
    const ea = toElapsed(pa.x.map((t, i) => [t / 1000, pa.y[i]] as const), a.app.startTime);
    const eb = toElapsed(pb.x.map((t, i) => [t / 1000, pb.y[i]] as const), b.app.startTime);
    overlays.push({
      id: spec.id,
      title: BUILTIN_TITLES[spec.id] ?? spec.title,
      unit: spec.unit,
      a: { x: ea.map((p) => p.x), y: ea.map((p) => p.y) },
      b: { x: eb.map((p) => p.x), y: eb.map((p) => p.y) },
      maxX: Math.max(0, ea.at(-1)?.x ?? 0, eb.at(-1)?.x ?? 0),
      source: 'built-in',
    });
  }
  return overlays.length > 0
    ? { overlays, note: 'From the built-in series: the figures the extension polled from the REST API while each run was watched (no Prometheus had them).' }
    : { overlays, note: 'The built-in series of the two runs have no figure in common to overlay.' };
}

/** Epoch-ms [start, end] of a run, for its range queries; undefined without a start. */
function runWindow(app: Application, now: number): { start: number; end: number } | undefined {
  if (app.startTime === undefined) return undefined;
  const end = app.endTime ?? (app.durationMs !== undefined ? app.startTime + app.durationMs : now);
  return { start: app.startTime, end: Math.max(end, app.startTime + 1000) };
}

/**
 * Both runs' memory and GC series on one elapsed-time axis, from Prometheus (model/compareView's
 * OVERLAYS). A chart is included only when Prometheus has the series for both runs; the note says
 * why there is none otherwise. The step gives at most `widthPx` points over the longer run.
 */
export async function loadOverlays(
  prom: PrometheusClient | undefined,
  a: RunData,
  b: RunData,
  o: { now: number; widthPx?: number; scrapeIntervalSeconds?: number; signal?: AbortSignal },
): Promise<{ overlays: OverlayData[]; note?: string }> {
  if (!prom) return { overlays: [], note: 'No Prometheus source: the table comes from the REST API alone.' };
  const wa = runWindow(a.app, o.now);
  const wb = runWindow(b.app, o.now);
  if (!wa || !wb) return { overlays: [], note: 'A run has no start time: nothing to put on an elapsed-time axis.' };
  const longest = Math.max(wa.end - wa.start, wb.end - wb.start) / 1000;
  const step = chooseStep({ rangeSeconds: longest, widthPx: o.widthPx ?? 700, scrapeIntervalSeconds: o.scrapeIntervalSeconds ?? 0 });
  const query = async (expr: string, w: { start: number; end: number }) => {
    const r = alignRange(w.start / 1000, w.end / 1000, step);
    const res = await prom.queryRange(expr, r.start, r.end, step, o.signal);
    return res.series[0]?.samples.map((s) => [s.t, s.v] as const) ?? [];
  };
  const overlays: OverlayData[] = [];
  const missing: string[] = [];
  try {
    for (const spec of OVERLAYS) {
      const [sa, sb] = await Promise.all([query(spec.expr(a.app.id), wa), query(spec.expr(b.app.id), wb)]);
      const unreported = (xs: readonly (readonly [number, number | null])[]) => xs.length === 0 || (!!spec.zeroIsMissing && xs.every(([, v]) => !v));
      if (unreported(sa) || unreported(sb)) {
        missing.push(spec.title);
        continue;
      }
      const pa = toElapsed(sa, wa.start);
      const pb = toElapsed(sb, wb.start);
      const maxX = Math.max(0, pa.at(-1)?.x ?? 0, pb.at(-1)?.x ?? 0);
      overlays.push({
        id: spec.id,
        title: spec.title,
        unit: spec.unit,
        a: { x: pa.map((p) => p.x), y: pa.map((p) => p.y) },
        b: { x: pb.map((p) => p.x), y: pb.map((p) => p.y) },
        maxX,
      });
    }
  } catch (e) {
    if (o.signal?.aborted) throw e;
    return { overlays, note: `Prometheus: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (overlays.length === 0) return { overlays, note: 'Prometheus has no executor metrics for both runs (spark.ui.prometheus.enabled and a scrape of each driver put them there).' };
  return missing.length ? { overlays, note: `Not in Prometheus for both runs: ${missing.join(', ')}.` } : { overlays };
}
