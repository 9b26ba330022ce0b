/**
 * One entry per application and group, whichever sources list it: the rules that decide which
 * source serves an application (a live driver beats the History Server, which beats the
 * Master, which beats Prometheus; a source that answered beats one that failed), so that an
 * application keeps its node when its driver ends and the History Server takes over.
 */
import type { Application, MasterStatus, SourceKind } from './types';
import { driverClockOffset } from './driverClock';

/** An application as the tree shows it: one node per group and application id, whichever source serves it. */
export interface AppEntry {
  /** Stable across sources: `group|appId`. A driver ending hands its node to the History Server. */
  readonly key: string;
  readonly group: string;
  readonly app: Application;
  /** The source that serves details now. */
  readonly sourceId: string;
  readonly via: SourceKind;
  /** The serving source failed its last poll: this is its last good answer. */
  readonly stale: boolean;
  /** The serving driver's clock minus ours (ms), where it tells (model/driverClock.ts). */
  readonly clockOffsetMs?: number;
}

/** What the merge needs of a source. */
export interface ListingSource {
  readonly id: string;
  readonly group: string;
  readonly kind?: SourceKind;
  readonly failing: boolean;
  readonly apps: readonly Application[];
  readonly master?: MasterStatus;
  readonly prometheusApps: readonly { readonly id: string; readonly name: string }[];
  /** When its `apps` were read (our clock). */
  readonly listedAt?: number;
}

const VIA_RANK: Record<SourceKind, number> = { driver: 0, history: 1, master: 2, prometheus: 3 };
const rank = (e: AppEntry) => VIA_RANK[e.via] + (e.stale ? 10 : 0);

/** The key of an application in a group. */
export function appKey(group: string, appId: string): string {
  return `${group}|${appId}`;
}

/** Merges the sources' applications into one entry per group and id, running first, then newest. */
export function mergeEntries(sources: Iterable<ListingSource>): AppEntry[] {
  const best = new Map<string, AppEntry>();
  const consider = (e: AppEntry) => {
    const prev = best.get(e.key);
    if (!prev || rank(e) < rank(prev) || (rank(e) === rank(prev) && e.app.state === 'running' && prev.app.state !== 'running')) {
      best.set(e.key, e);
    }
  };
  const masters: { group: string; master: MasterStatus }[] = [];
  for (const s of sources) {
    if (!s.kind) continue;
    // A driver that stopped answering keeps its last good list, marked stale, until the History
    // Server (or another source) lists the application: then that one serves it.
    const base = { group: s.group, sourceId: s.id, stale: s.failing };
    for (const app of s.apps) consider({ ...base, key: appKey(s.group, app.id), app, via: s.kind, clockOffsetMs: driverClockOffset(app, s.kind, s.listedAt) });
    if (s.master) {
      masters.push({ group: s.group, master: s.master });
      for (const a of s.master.activeApps) {
        consider({ ...base, key: appKey(s.group, a.id), via: 'master', app: { id: a.id, name: a.name, state: 'running', startTime: a.startTime, cores: a.cores, sparkUser: a.user } });
      }
    }
    for (const p of s.prometheusApps) {
      consider({ ...base, key: appKey(s.group, p.id), via: 'prometheus', app: { id: p.id, name: p.name || p.id, state: 'running' } });
    }
  }
  // A driver's own list lacks cores; the Master knows what it granted.
  return [...best.values()]
    .map((e) => {
      const granted = masters.find((m) => m.group === e.group)?.master.activeApps.find((a) => a.id === e.app.id)?.cores;
      return e.app.cores === undefined && granted !== undefined ? { ...e, app: { ...e.app, cores: granted } } : e;
    })
    .sort(compareEntries);
}

/** Running first, then newest first. */
function compareEntries(a: AppEntry, b: AppEntry): number {
  if (a.app.state !== b.app.state) return a.app.state === 'running' ? -1 : 1;
  return (b.app.startTime ?? 0) - (a.app.startTime ?? 0) || a.app.id.localeCompare(b.app.id);
}
