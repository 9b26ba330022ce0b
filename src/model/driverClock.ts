/**
 * Running time on the driver's clock. A driver's dates (an application's start, a job's
 * submission) are on its clock, our "now" on ours: with a driver clock 10 minutes ahead, now −
 * start is 10 minutes short (negative for a young application), 10 minutes long with one
 * behind. A live driver tells us its clock: for a running attempt Spark's live UI reports
 * `duration` as its own now − start (SparkUI.getApplicationInfoList, 3.5.9 and 4.3.0), so each
 * listing gives the offset between its clock and ours, to within the request's latency. Ages
 * ("read 12 s ago") stay on our clock: they count from when the store read, not from Spark's dates.
 */
import type { Application, SourceKind } from './types';
import { formatDuration } from './format';

/** Offsets smaller than this are the request's latency, not a clock that is off. */
const NOTEWORTHY_MS = 5000;

/**
 * The serving driver's clock minus ours (ms), from its listing read at `listedAt` (our clock);
 * undefined when the source does not tell (a History Server, a Master, a finished application).
 */
export function driverClockOffset(app: Application, via: SourceKind, listedAt: number | undefined): number | undefined {
  if (via !== 'driver' || app.state !== 'running' || listedAt === undefined) return undefined;
  if (app.startTime === undefined || app.runningForMs === undefined) return undefined;
  return app.startTime + app.runningForMs - listedAt;
}

/**
 * How long something that began at `start` (the driver's clock) has run at `now` (ours), on
 * the driver's clock when its offset is known. Never negative: a start in our future with no
 * offset known means the driver's clock is at least `aheadMs` ahead, and the time is unknown.
 */
export function runningFor(start: number | undefined, now: number, offsetMs: number | undefined): { ms?: number; aheadMs?: number } {
  if (start === undefined) return {};
  const ms = now + (offsetMs ?? 0) - start;
  if (ms >= 0) return { ms };
  return offsetMs === undefined ? { aheadMs: -ms } : { ms: 0 };
}

/** A line for a tooltip when the driver's clock is off from ours by more than a request's latency. */
export function clockNote(offsetMs: number | undefined, aheadMs?: number): string | undefined {
  // In whole seconds: the offset is measured to within a request's latency.
  const seconds = (ms: number) => formatDuration(Math.round(ms / 1000) * 1000);
  if (offsetMs !== undefined && Math.abs(offsetMs) >= NOTEWORTHY_MS) {
    return `the driver's clock is ${seconds(Math.abs(offsetMs))} ${offsetMs > 0 ? 'ahead of' : 'behind'} this machine's; running times are measured on the driver's`;
  }
  if (aheadMs !== undefined) return `the driver's clock is at least ${seconds(aheadMs)} ahead of this machine's: the running time cannot be measured here`;
  return undefined;
}
