/**
 * Which of the files Run File with Observability leaves in the extension's own storage are past
 * the retention period (sparkObservatory.run.retentionDays): Spark's event logs and the hook's
 * event files of each run. Only names these writers produce are candidates, so nothing else that
 * may sit in the folder is touched. Pure: the caller lists the folder and deletes.
 */

export const RETENTION_DAYS = { default: 14, min: 1, max: 3650 } as const;
const DAY_MS = 86_400_000;

/** One entry of a folder, as listed: its name and when it was last written. */
export interface StoredEntry {
  readonly name: string;
  /** Epoch ms. */
  readonly mtimeMs: number;
}

/**
 * Spark's event logs as spark.eventLog.dir holds them: `<appId>` with `.inprogress` while the
 * application runs and a codec suffix when compressed (`.lz4`, `.zstd`…), or a rolling log's
 * folder `eventlog_v2_<appId>`. Application ids: `local-…`, `app-…` (standalone), `application_…`
 * (YARN), `spark-…` (Kubernetes).
 */
const EVENT_LOG = /^(eventlog_v2_)?(local-\d+|app-\d{14}-\d+|application_\d+_\d+|spark-[0-9a-f]+)(_\d+)?(\.(lz4|lzf|snappy|zstd))?(\.inprogress)?$/;
/** The hook's event file of one run: `<file name>-<start, epoch ms>.jsonl` (runFile.ts). */
const HOOK_EVENTS = /^.+-\d{10,}\.jsonl$/;

export type StoredKind = 'eventLog' | 'hookEvents';

export function isStoredFile(kind: StoredKind, name: string): boolean {
  return (kind === 'eventLog' ? EVENT_LOG : HOOK_EVENTS).test(name);
}

/** The setting as a whole number of days in range; the default for anything else. */
export function retentionDays(setting: unknown): number {
  if (typeof setting !== 'number' || !Number.isFinite(setting)) return RETENTION_DAYS.default;
  return Math.min(RETENTION_DAYS.max, Math.max(RETENTION_DAYS.min, Math.floor(setting)));
}

/**
 * The names to delete: files of this kind last written more than `days` days before `nowMs`.
 * A log still written to (a running application's `.inprogress`) is recent and stays; one a
 * killed job left behind ages like the others.
 */
export function expiredEntries(kind: StoredKind, entries: readonly StoredEntry[], nowMs: number, days: number): string[] {
  const cutoff = nowMs - days * DAY_MS;
  return entries
    .filter((e) => isStoredFile(kind, e.name) && e.mtimeMs < cutoff)
    .map((e) => e.name)
    .sort();
}
