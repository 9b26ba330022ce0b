/**
 * What a run did not report. Spark's REST API answers every stage metric as a number (they are
 * Scala `Long`s, and `JsonProtocol` fills keys missing from an event log with 0), so "never
 * reported" must be inferred, never read as 0 (real event logs of Spark 1.2–3.3, see the README):
 * - CPU time arrived with Spark 2.1: older logs say 0 ns beside seconds of run time;
 * - shuffle reads counted only remote bytes before 1.3 (no "Local Bytes Read"): 0 in local mode;
 * - peak execution memory arrived with 3.0;
 * - peak memory metrics of an executor arrive as an object of zeros when the log has none
 *   (parsed as absent in sources/sparkRest.ts).
 */
import type { Stage } from './types';

/**
 * A Spark version as [major, minor]: `3.1.1.119` → [3, 1], `1.4.0-SNAPSHOT` → [1, 4]. An empty
 * string is a History Server's answer for logs older than 1.3 (no `SparkListenerLogStart`):
 * [1, 2]. Undefined when unknown or unreadable.
 */
export function sparkVersion(version: string | undefined): readonly [number, number] | undefined {
  if (version === undefined) return undefined;
  if (version.trim() === '') return [1, 2];
  const m = /^\s*(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** True when the version is known and older than major.minor. */
export function olderThan(version: string | undefined, major: number, minor: number): boolean {
  const v = sparkVersion(version);
  return !!v && (v[0] < major || (v[0] === major && v[1] < minor));
}

/** Whether CPU time was reported: from Spark 2.1, and not 0 beside a run time (a log that lacks it). */
export function cpuTimeReported(stages: readonly Stage[], version: string | undefined): boolean {
  if (olderThan(version, 2, 1)) return false;
  const run = stages.reduce((s, x) => s + x.executorRunTimeMs, 0);
  const cpu = stages.reduce((s, x) => s + x.executorCpuTimeNs, 0);
  return !(cpu === 0 && run > 0);
}

/** Whether shuffle read bytes were reported in full: from Spark 1.3 (local bytes). */
export function shuffleReadReported(version: string | undefined): boolean {
  return !olderThan(version, 1, 3);
}
