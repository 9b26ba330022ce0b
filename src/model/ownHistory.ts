/**
 * When the extension starts a History Server of its own (F10): Run File writes event logs to a
 * folder, and a finished run is readable (tree, comparisons, Measure Cache Impact) only through a
 * History Server over that folder. Where the user runs one, theirs is used; where none reads the
 * folder, the extension starts Spark's own. Pure decisions; the process is sources/historyServer.ts.
 */
import type { Application } from './types';
import { eventLogAppId } from './compareView';

/** A folder as a comparable path: `file:` URLs decoded, trailing slashes dropped. */
export function folderPath(urlOrPath: string): string {
  let p = urlOrPath.trim();
  if (/^file:/i.test(p)) {
    p = p.replace(/^file:(\/\/[^/]*)?/i, '');
    try {
      p = decodeURIComponent(p);
    } catch {
      /* keep it as written */
    }
  }
  return p.replace(/\\/g, '/').replace(/\/+$/, '') || '/';
}

/**
 * Whether a History Server listing `apps` reads `folder`: a 4.x one says which folder each
 * attempt came from (`logSourceFullPath`); an older one is taken to read it when it lists one of
 * the folder's applications.
 */
export function readsFolder(apps: readonly Application[], folder: string, folderAppIds: ReadonlySet<string>): boolean {
  const want = folderPath(folder);
  return apps.some((a) => (a.logSource !== undefined ? folderPath(a.logSource) === want : folderAppIds.has(a.id)));
}

/** Application ids of a folder's event logs (files and Spark 4's `eventlog_v2_*` folders). */
export function folderAppIds(entries: readonly string[]): Set<string> {
  return new Set(entries.map(eventLogAppId).filter((x): x is string => !!x));
}

export type OwnHistoryDecision =
  /** The setting turns it off. */
  | 'off'
  /** A History Server of the user's reads the folder. */
  | 'covered'
  /** The folder has no event log yet: nothing to serve. */
  | 'empty'
  | 'start';

/** What to do when a History Server is needed: use the user's, start ours, or nothing. */
export function ownHistoryDecision(i: {
  readonly enabled: boolean;
  readonly folder: string;
  readonly folderEntries: readonly string[];
  /** The History Servers the store reads (not ours), with what they list now. */
  readonly historyServers: readonly { readonly ok: boolean; readonly apps: readonly Application[] }[];
}): OwnHistoryDecision {
  if (!i.enabled) return 'off';
  const ids = folderAppIds(i.folderEntries);
  if (i.historyServers.some((h) => h.ok && readsFolder(h.apps, i.folder, ids))) return 'covered';
  return ids.size === 0 ? 'empty' : 'start';
}

/**
 * Idle: nothing has needed our History Server for `idleMs` — no run in progress, no application
 * it serves looked at, the Spark view hidden. It is started again when needed.
 */
export function isIdle(i: { readonly now: number; readonly lastNeededAt: number; readonly idleMs: number; readonly inUse: boolean }): boolean {
  return !i.inUse && i.now - i.lastNeededAt >= i.idleMs;
}
