/**
 * Keeps the extension's own run storage bounded: deletes the event logs and hook event files
 * Run File with Observability wrote under the extension's global storage once they are older
 * than sparkObservatory.run.retentionDays (which ones: model/retention.ts). A folder the user
 * configured (sparkObservatory.run.eventLogDir, spark.eventLog.dir in run.extraConf) is never
 * passed here: those logs are the user's. No `vscode` here, so unit tests run it on a folder.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { expiredEntries, isStoredFile, StoredEntry, StoredKind } from '../../model/retention';

export interface RunStorage {
  /** The event-log folder in the extension's storage; undefined when runs log to a folder of the user's. */
  readonly eventLogDir?: string;
  /** The hook event files of the runs. */
  readonly runsDir: string;
}

/** Last written: a rolling event log is a folder whose files are appended to, so its newest file counts. */
async function lastWritten(file: string): Promise<number> {
  const st = await fs.lstat(file);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of await fs.readdir(file)) {
    const child = await fs.lstat(path.join(file, name)).catch(() => undefined);
    if (child) newest = Math.max(newest, child.mtimeMs);
  }
  return newest;
}

async function listed(dir: string, kind: StoredKind): Promise<StoredEntry[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: StoredEntry[] = [];
  for (const name of names.filter((n) => isStoredFile(kind, n))) {
    // Gone meanwhile (another window pruning the same storage): nothing to do.
    const mtimeMs = await lastWritten(path.join(dir, name)).catch(() => undefined);
    if (mtimeMs !== undefined) out.push({ name, mtimeMs });
  }
  return out;
}

/** Deletes what is past retention; returns the paths deleted. */
export async function pruneRunStorage(storage: RunStorage, nowMs: number, days: number): Promise<string[]> {
  const deleted: string[] = [];
  const folders: [string | undefined, StoredKind][] = [[storage.eventLogDir, 'eventLog'], [storage.runsDir, 'hookEvents']];
  for (const [dir, kind] of folders) {
    if (!dir) continue;
    for (const name of expiredEntries(kind, await listed(dir, kind), nowMs, days)) {
      const file = path.join(dir, name);
      await fs.rm(file, { recursive: true, force: true });
      deleted.push(file);
    }
  }
  return deleted;
}
