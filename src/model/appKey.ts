/**
 * Store keys of applications (`group|appId`) and how a view that kept one finds its application
 * again. The group is the serving source's: the `group` of a configured source, else its host
 * (`local` for loopback). So one application can be listed under another key later: a driver
 * found by local discovery (`local|…`) whose run a History Server of another group lists once
 * the driver is gone; sources regrouped in settings; a window that comes back after a reload
 * without the machine-scoped source settings it had (VS Code drops them from user settings in a
 * remote window), where discovery finds the same driver under `local`. Application ids are
 * unique enough across clusters (they carry the start time) to follow an application by id.
 */
import type { SourceKind } from './types';

/** The application id of a key: what follows the last `|` (a group name may hold one). */
export function appIdOfKey(key: string): string {
  return key.slice(key.lastIndexOf('|') + 1);
}

/** What this needs of a store entry. */
export interface KeyedEntry {
  readonly key: string;
  readonly app: { readonly id: string };
  readonly via: SourceKind;
  readonly stale: boolean;
}

const VIA_RANK: Record<SourceKind, number> = { driver: 0, history: 1, master: 2, prometheus: 3 };

/**
 * The entry a view that kept `key` shows: the entry of that key while one is listed, else the
 * same application under another key (a fresh answer before a stale one, then the live driver,
 * the History Server, the Master, Prometheus), else undefined: not listed (yet).
 */
export function findApplication<T extends KeyedEntry>(entries: readonly T[], key: string): T | undefined {
  const exact = entries.find((e) => e.key === key);
  if (exact) return exact;
  const id = appIdOfKey(key);
  const rank = (e: T) => VIA_RANK[e.via] + (e.stale ? 10 : 0);
  return entries.filter((e) => e.app.id === id).sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key))[0];
}
