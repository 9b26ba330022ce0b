/**
 * The keys of what changed, as the store announces them. A view subscribes once and looks at
 * the keys it shows: the tree refreshes only the nodes of those keys (a tree told to refresh
 * everything every second re-renders every second, and a click that lands mid-render is lost).
 *
 *   sources                       the sources, their kinds, states and errors
 *   apps                          which applications there are, in which order
 *   app:<appKey>                  one application's entry (state, serving source, summary)
 *   app:<appKey>:<part>           one of its lists (executors, jobs, stages, storage, environment, taskSummaries)
 *   alerts                        firing Prometheus alerts
 *   runs                          Run File runs and measured cache impacts
 *   series:<appKey>               one application's built-in series got a point (or was saved)
 */
import type { Part } from '../model/summary';

export type DetailKey = Part | 'taskSummaries';

export const ChangeKeys = {
  sources: 'sources',
  apps: 'apps',
  alerts: 'alerts',
  runs: 'runs',
  app: (appKey: string) => `app:${appKey}`,
  part: (appKey: string, part: DetailKey) => `app:${appKey}:${part}`,
  series: (appKey: string) => `series:${appKey}`,
} as const;

/** `app:<appKey>` or `app:<appKey>:<part>` → its application key and part; undefined for the others. */
export function parseChangeKey(key: string): { appKey: string; part?: DetailKey } | undefined {
  if (!key.startsWith('app:')) return undefined;
  const rest = key.slice(4);
  // Application keys are `group|appId`; a part follows the last colon after the `|`.
  const bar = rest.indexOf('|');
  const colon = rest.lastIndexOf(':');
  if (colon > bar && bar >= 0) {
    const part = rest.slice(colon + 1) as DetailKey;
    if (['executors', 'jobs', 'stages', 'storage', 'environment', 'taskSummaries'].includes(part)) return { appKey: rest.slice(0, colon), part };
  }
  return { appKey: rest };
}

/** Remembers what was last announced under each key, to announce only differences. */
export class Signatures {
  private readonly sigs = new Map<string, string>();

  /** Records the value's signature; true when it differs from the last one under this key. */
  changed(key: string, value: unknown): boolean {
    const sig = JSON.stringify(value) ?? 'undefined';
    if (this.sigs.get(key) === sig) return false;
    this.sigs.set(key, sig);
    return true;
  }

  /** Forgets every key for which `drop` says so; returns them (they changed: they are gone). */
  forget(drop: (key: string) => boolean): string[] {
    const out: string[] = [];
    for (const k of [...this.sigs.keys()]) {
      if (drop(k)) {
        this.sigs.delete(k);
        out.push(k);
      }
    }
    return out;
  }
}
