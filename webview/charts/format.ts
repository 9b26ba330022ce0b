/**
 * Formatting of the dashboard's charts: units on axes and in tooltips, and time ticks at round
 * wall-clock times.
 */
import type { Unit } from '../../src/shared/protocol';
import { axisBytes, axisSeconds, trim } from '../common/chartTheme';

function fmtSi(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}
export function formatValue(unit: Unit, v: number): string {
  switch (unit) {
    case 'bytes': return axisBytes(v);
    case 'bytesPerSecond': return `${axisBytes(v)}/s`;
    case 'seconds': return axisSeconds(v);
    case 'percent': return `${trim(v)} %`;
    case 'perSecond': return `${fmtSi(v)}/s`;
    case 'cores': return `${fmtSi(v)} cores`;
    default: return fmtSi(v);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
export function fmtTime(ms: number, withSeconds: boolean, withDate: boolean): string {
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}` : t;
}

const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
/** Time ticks at round wall-clock times (a linear scale on epoch ms, no date adapter). */
export function timeTicks(min: number, max: number, maxCount: number): { value: number }[] {
  const span = (max - min) / 1000;
  const step = (TICK_STEPS_S.find((s) => span / s <= maxCount) ?? Math.ceil(span / maxCount / 86400) * 86400) * 1000;
  // Round in local time: offset by the zone so 10-minute ticks land on :00, :10, …
  const off = new Date(min).getTimezoneOffset() * 60_000;
  const first = Math.ceil((min - off) / step) * step + off;
  const out: { value: number }[] = [];
  for (let t = first; t <= max && out.length < 200; t += step) out.push({ value: t });
  return out;
}
